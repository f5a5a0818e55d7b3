"""The Chat API's two hosts in the service registry: ``graph`` and ``workiq``, one
implementation (:class:`~g4f.services.chatapi.ChatApiClient`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from ...engine.backend import Backend
from ...protocol.constants import Style
from ...urls import redact_url
from ..spec import Model, ServiceEntry, ServiceOption
from .client import CAPABILITIES, ChatApiClient
from .signin import signed_in
from .spec import GRAPH, WORKIQ, Host

__all__ = ["GRAPH_ENTRY", "WORKIQ_ENTRY"]

ACCEPTS = frozenset({"token", "token_file", "auth", "time_zone"})


def _build(host: Host) -> Callable[..., Backend]:
    def build(**options: Any) -> Backend:
        return ChatApiClient(host.name, **options)

    return build


def _describe(host: Host) -> Callable[[str | None, Mapping[str, Any]], tuple[str, tuple[str, ...]]]:
    def describe(url: str | None, options: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
        """Checks the URL; no token and no sign-in is a warning (a sign-in may follow)."""
        base = url or os.environ.get(host.env_url, "").strip() or host.base_url
        if not base.startswith(("https://", "http://")):
            raise ValueError(f"--url must be http(s)://, not {redact_url(base)!r}")
        given = options.get("token") or options.get("token_file") or options.get("auth")
        warnings: tuple[str, ...] = ()
        if not given and not os.environ.get(host.env_token_file) and not signed_in(host.name):
            warnings = (f"not signed in: run `g4f login --service {host.name}` first",)
        return f"{host.title} at {redact_url(base)}", warnings

    return describe


def _local(host: Host) -> Callable[[str], Mapping[str, Any]]:
    prefix = "/beta/copilot" if host is GRAPH else "/rest"

    def local(hub_url: str) -> Mapping[str, Any]:
        """The hub's own test token for this host: the user's is never sent to it."""
        from ...hub.chatapi import make_chatapi_token  # the hub is only loaded for --local

        return {"url": hub_url + prefix, "token": make_chatapi_token(host.name),
                "token_file": None}  # fmt: skip

    return local


def _entry(host: Host, title: str) -> ServiceEntry:
    return ServiceEntry(
        name=host.name,
        title=title,
        build=_build(host),
        options=(
            ServiceOption(
                "--token-file",
                "token_file",
                f"a file holding a bearer token for {host.name}, re-read when it changes "
                f"(default: ${host.env_token_file}, else the sign-in of `g4f login`)",
            ),
            ServiceOption(
                "--time-zone",
                "time_zone",
                "the IANA time zone sent with each turn (default: this machine's)",
                metavar="ZONE",
                load=str,
            ),
        ),
        accepts=ACCEPTS,
        models=(Model(f"{host.name}-copilot", Style.PRECISE, service=host.name),),
        default_url=host.base_url,
        env_url=host.env_url,
        capabilities=CAPABILITIES,
        offline_hint=(
            f"g4f: {host.title} could not be reached. Offline? `g4f chat --service {host.name} "
            f"--local` answers from a hub started in-process; --url or ${host.env_url} points "
            "at another server (e.g. `g4f hub`)."
        ),
        local_options=_local(host),
        describe=_describe(host),
    )


GRAPH_ENTRY = _entry(
    GRAPH, "Microsoft 365 Copilot Chat API on Graph (beta; your app registration and a licence)"
)
"""The Chat API on Microsoft Graph."""
WORKIQ_ENTRY = _entry(
    WORKIQ, "Microsoft 365 Copilot Chat API on Work IQ (your app registration, a billing plan)"
)
"""The Chat API on Work IQ."""
