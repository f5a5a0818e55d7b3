"""The Chat API's HTTP failures (M365-CHAT-API.md §5), typed with what to do next.

Graph's error body (``{"error": {"code", "message", "innerError": {"request-id"}}}``) is read;
its request id is kept on the error as ``request_id`` (for a support ticket), never a token.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import (
    AccessDenied,
    ConversationExpired,
    G4FError,
    NotAuthorized,
    RateLimited,
    RequestRefused,
    ResponseTimeout,
    ServerError,
    truncate,
)
from ...protocol.framing import load_json

__all__ = ["GraphError", "failure_for", "parse_error_body", "retry_after_of"]


@dataclass(frozen=True, slots=True)
class GraphError:
    """What an error body says."""

    code: str = ""
    message: str = ""
    request_id: str | None = None


def parse_error_body(body: str) -> GraphError:
    """Graph's error shape, or the body's first characters as the message when it is not."""
    try:
        data: Any = load_json(body)
    except ValueError:
        return GraphError(message=truncate(body.strip(), 200))
    error = data.get("error") if isinstance(data, Mapping) else None
    if not isinstance(error, Mapping):
        return GraphError(message=truncate(body.strip(), 200))
    inner = error.get("innerError") or error.get("innererror")
    request_id = inner.get("request-id") if isinstance(inner, Mapping) else None
    code, message = error.get("code"), error.get("message")
    return GraphError(
        code if isinstance(code, str) else "",
        truncate(message, 500) if isinstance(message, str) else "",
        request_id if isinstance(request_id, str) else None,
    )


def retry_after_of(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), ``None`` when absent or unreadable."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _forbidden(said: GraphError, host: str) -> G4FError:
    if "required scopes" in said.message.lower():
        return AccessDenied(
            f"{host}: {said.message}",
            status=403,
            advice=(
                "the app registration lacks admin consent for these permissions: ask the "
                "tenant's admin to grant consent in Entra ID (App registrations → API permissions)"
            ),
        )
    return AccessDenied(
        f"{host} refused this user (HTTP 403){': ' + said.message if said.message else ''}",
        status=403,
        advice=(
            "the user has no Microsoft 365 Copilot licence (Graph) or is in no Copilot billing "
            "plan (Work IQ): ask the tenant's admin"
        ),
    )


def failure_for(
    status: int,
    headers: Mapping[str, str],
    body: str,
    *,
    host: str,
    login_advice: str,
    partial_text: str = "",
) -> G4FError:
    """The typed error for an HTTP ``status`` answered by ``host``; ``login_advice`` says how to
    get a fresh token (it depends on where the token came from)."""
    said = parse_error_body(body)
    what = f"{host} answered HTTP {status}" + (f": {said.message}" if said.message else "")
    error: G4FError
    if status == 401:
        error = NotAuthorized(what, status=status, advice=login_advice)
    elif status == 403:
        error = _forbidden(said, host)
    elif status == 400 and (said.code == "AuthenticationError" or "authenticat" in what.lower()):
        error = NotAuthorized(
            what,
            status=status,
            advice="the token is from another tenant than your home tenant: sign in against it "
            "(`g4f login --tenant <your home tenant>`)",
        )
    elif status == 404:
        error = ConversationExpired(
            what, status=status, advice="the conversation is gone (expired or another user's): "
            "start a new one"
        )
    elif status in (429, 503):
        error = RateLimited(what, status=status, retry_after=retry_after_of(headers))
    elif status == 504:
        error = ResponseTimeout(what + " (the answer took too long)")
        error.advice = "ask a shorter question, or try again later"
    elif status >= 500:
        error = ServerError(what, status=status, advice="the service failed upstream; retry later")
    else:
        error = RequestRefused(what, status=status)
    error.partial_text = partial_text
    error.request_id = said.request_id  # type: ignore[attr-defined]
    return error
