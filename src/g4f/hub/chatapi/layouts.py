"""How the hub writes a turn's snapshots as server-sent events, in every layout M365-CHAT-API.md
§4 lists, and the scenarios a turn can play."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .spec import GRAPH_SCOPES, IC3_FAILURE

__all__ = [
    "BROKEN",
    "ECHOES",
    "FAILURES",
    "LAYOUTS",
    "SCENARIOS",
    "check_scenario",
    "encode_events",
]

LAYOUTS = ("compact", "pretty", "crlf", "empty")
"""Line layouts: one compact line + ``id:`` (the 2025 capture); pretty-printed over many
``data:`` lines (the 2026 docs); ``\\r\\n`` with ``: keep-alive`` comments and no blank lines
between events; compact with empty snapshots between every event."""

FAILURES: dict[str, tuple[int, str, str, dict[str, str]]] = {
    "throttled": (429, "TooManyRequests", "Too many requests", {"Retry-After": "7"}),
    "unavailable": (503, "ServiceUnavailable", "Service unavailable", {"Retry-After": "3"}),
    "upstream_500": (500, "InternalServerError", IC3_FAILURE, {}),
    "gateway_504": (504, "GatewayTimeout", "The operation has timed out", {}),
    "licence_403": (403, "Forbidden", "Access denied", {}),
    "consent_403": (403, "Forbidden", f"Required scopes = [{', '.join(GRAPH_SCOPES)}]", {}),
    "tenant_400": (400, "AuthenticationError", "Error authenticating with resource", {}),
    "echo_401": (401, "InvalidAuthenticationToken", "Token {token} ({quoted}) is not valid", {}),
    "echo_500": (
        500,
        "InternalServerError",
        "Upstream failed for Bearer {token}, payload {payload}",
        {},
    ),
}
"""Turn scenarios answered with an HTTP error in Graph's error shape: status, code, message,
headers. The ``echo_*`` ones repeat the request's bearer token in their message (raw, every
byte percent-encoded, its JWT payload alone: ``{token}``, ``{quoted}``, ``{payload}``), as a
careless server or proxy may; they answer conversation create too, so that a readiness probe
meets them."""

ECHOES = frozenset(name for name in FAILURES if name.startswith("echo_"))
"""The scenarios whose error repeats the token."""

BROKEN = ("dropped",)
"""Turn scenarios that fail mid-answer: ``dropped`` streams the first half of the answer's
snapshots, then the connection drops before the body ends (the Chat API has no error event: a
stream ends when the server closes it, so a failure mid-answer is a body cut short)."""

SCENARIOS = (*LAYOUTS, "cited", "rewritten", "disengaged", "no_text", "slow", *BROKEN, *FAILURES)
"""Every turn scenario."""


def check_scenario(name: str) -> str:
    """``name`` if it is a scenario, else ``ValueError`` listing them."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown Chat API scenario {name!r}; one of: {', '.join(SCENARIOS)}")
    return name


def _compact(snapshot: Mapping[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))


def encode_events(
    snapshots: Iterable[Mapping[str, Any]], layout: str, empty: Mapping[str, Any]
) -> Iterator[bytes]:
    """One byte string per event (a write each), in ``layout``, made as ``snapshots`` are read
    (a stream's first byte need not wait for its last snapshot); ``empty`` is the empty
    snapshot the ``empty`` layout puts between every two events and at the end."""
    for number, snapshot in enumerate(snapshots, start=1):
        if layout == "pretty":
            lines = json.dumps(snapshot, ensure_ascii=False, indent=2).splitlines()
            yield ("".join(f"data: {line}\n" for line in lines) + "\n").encode()
        elif layout == "crlf":
            marker = f"id:{number} \r\n" if number % 2 else ""
            yield f"data: {_compact(snapshot)}\r\n{marker}: keep-alive\r\n".encode()
        else:
            if layout == "empty":
                yield f"data: {_compact(empty)}\n\n".encode()
            yield f"data: {_compact(snapshot)}\nid:{number * 7} \n\n".encode()
    if layout == "empty":
        yield f"data: {_compact(empty)}\n\n".encode()
