"""The project's exception tree.

Every failure a caller can act on is one class under :class:`G4FError`::

    G4FError
    ├── ProtocolError              the peer broke the ChatHub protocol (malformed record)
    ├── TransportError             the connection failed
    │   ├── ConnectionClosed       type-7 close, websocket closed mid-answer
    │   │   └── ConnectError       never reached the service: refused, unreachable, closed before
    │   │                          the service took the turn (resending is safe)
    │   └── ResponseTimeout        nothing arrived within the read timeout
    │       ├── ConnectTimeout     opening the connection timed out (resending is safe)
    │       └── TurnTimeout        the turn did not end within its overall deadline
    └── ServiceError               the service answered, with a refusal
        ├── RateLimited            Throttled, PerHourThrottled, HTTP 404/429 on create
        ├── ChallengeRequired      CaptchaChallenge, an HTML/empty body instead of JSON
        ├── NotAuthorized          UnauthorizedRequest: cookies missing or invalid
        ├── AccessDenied           HTTP 403: blocked for this network or region
        ├── ConversationExpired    InvalidSession: the conversation is gone
        ├── ConversationInvalid    InvalidRequest: the conversation cannot take this turn
        ├── Busy                   ProcessingMessage: a turn is still running
        ├── ServerError            HTTP 5xx
        ├── Refused                the service declined this prompt (Disengaged)
        └── RequestRefused         any other non-Success result
            └── UnknownTone        the service does not know the model (tone) asked for

Each error carries the server's ``message`` and ``partial_text``, the answer text streamed before
the failure, so nothing already received is lost. Messages never include cookies or signatures.

What a caller can do about an error is said by its class, in one place (here): ``transient``
(trying again may help; the retry policy reads it), ``resend_safe`` (the request never reached the
service, so sending it again cannot run it twice), ``exit_code`` (the ``g4f`` command's exit
status), ``http_status``, ``openai_type`` and ``openai_code`` (the API server's error response),
and ``hint`` (what the user can do). Subclasses inherit what they do not change.

Example::

    try:
        text = "".join(_create_completion("gpt-4", messages, stream=True))
    except RateLimited as exc:
        time.sleep(exc.retry_after or 60)
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

__all__ = [
    "MAX_RETRY_AFTER",
    "AccessDenied",
    "Busy",
    "ChallengeRequired",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionClosed",
    "ConversationExpired",
    "ConversationInvalid",
    "G4FError",
    "NotAuthorized",
    "ProtocolError",
    "RateLimited",
    "Refused",
    "RequestRefused",
    "ResponseTimeout",
    "ServerError",
    "ServiceError",
    "TransportError",
    "TurnTimeout",
    "UnknownTone",
    "clamp_retry_after",
    "truncate",
]


def truncate(text: str, limit: int = 200) -> str:
    """Shorten ``text`` for an error message, marking the cut.

    >>> truncate("x" * 5, limit=3)
    'xxx…(5 chars)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text)} chars)"


MAX_RETRY_AFTER = 3600.0
"""The longest wait an error ever asks for, whatever the server said (seconds)."""


def clamp_retry_after(value: float | None) -> float | None:
    """A server's ``Retry-After`` made safe: ``None`` unless a finite number, then within
    0 … :data:`MAX_RETRY_AFTER`.

    >>> clamp_retry_after(float("inf")), clamp_retry_after(-3.0), clamp_retry_after(7.0)
    (None, 0.0, 7.0)
    """
    if value is None or not math.isfinite(value):
        return None
    return min(max(0.0, value), MAX_RETRY_AFTER)


class G4FError(Exception):
    """Base class of every error this package raises on purpose.

    Attributes:
        message: what went wrong, in words (the server's own message where it sent one).
        partial_text: answer text received before the failure ("" when none).
        retry_after: seconds the caller should wait before trying again, when known.
        hint: what the user can do about it.
    """

    hint: ClassVar[str] = ""
    transient: ClassVar[bool] = False
    resend_safe: ClassVar[bool] = False
    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 502
    openai_type: ClassVar[str] = "upstream_error"
    openai_code: ClassVar[str] = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        partial_text: str = "",
        retry_after: float | None = None,
        advice: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.partial_text = partial_text
        self.retry_after = clamp_retry_after(retry_after)
        self.advice = advice or type(self).hint
        """What the user can do: the class's ``hint``, unless the raiser knew better (e.g. a
        service whose credentials are not Bing's cookies)."""

    def __str__(self) -> str:
        text = self.message
        if self.advice:
            text = f"{text} ({self.advice})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, "
            f"partial_text={truncate(self.partial_text, 40)!r})"
        )


class ProtocolError(G4FError):
    """The peer sent something the ChatHub protocol does not allow."""

    exit_code = 10
    openai_code = "protocol_error"

    hint = "the server does not speak ChatHub as expected; check the endpoint URL"


class TransportError(G4FError):
    """The connection to the service failed."""

    hint = "try again; if it persists, check the network"
    transient = True
    openai_code = "transport_error"


class ConnectionClosed(TransportError):
    """The connection closed, or could not be opened, before the turn ended."""

    hint = "try again; if it persists, check the network or the endpoint URL"
    exit_code = 9
    openai_code = "connection_closed"


class ConnectError(ConnectionClosed):
    """The request never reached the service: the connection could not be opened, or it was
    found closed before the service took the turn. Sending it again is safe."""

    resend_safe = True


class ResponseTimeout(TransportError):
    """Nothing arrived from the service within the configured timeout."""

    hint = "try again, or raise the timeout"
    exit_code = 8
    http_status = 504
    openai_code = "upstream_timeout"


class ConnectTimeout(ResponseTimeout):
    """Opening the connection timed out: the request never reached the service."""

    resend_safe = True


class TurnTimeout(ResponseTimeout):
    """The turn kept going past its overall deadline (``Timeouts.turn``), however busy the
    server looked."""

    hint = "the answer took longer than the turn deadline; try again, or raise Timeouts(turn=…)"


class ServiceError(G4FError):
    """The service answered with a refusal.

    Attributes:
        result_value: the ChatHub ``result.value`` (e.g. ``"Throttled"``), or ``None`` for an HTTP
            status failure.
        status: the HTTP status of a failed conversation create, when that is where it failed.
    """

    def __init__(
        self,
        message: str,
        *,
        result_value: str | None = None,
        status: int | None = None,
        partial_text: str = "",
        retry_after: float | None = None,
        advice: str | None = None,
    ) -> None:
        super().__init__(message, partial_text=partial_text, retry_after=retry_after, advice=advice)
        self.result_value = result_value
        self.status = status

    hint = "the service refused the request; its message says why"
    openai_code = "service_error"


class RateLimited(ServiceError):
    """Too many requests: the service throttled this user or client."""

    transient = True
    exit_code = 3
    http_status = 429
    openai_type = "rate_limit_error"
    openai_code = "upstream_rate_limited"

    hint = "wait and retry later, and reuse conversations instead of creating new ones"


class ChallengeRequired(ServiceError):
    """The service wants a human check (CAPTCHA) before it answers."""

    exit_code = 4
    openai_code = "challenge_required"

    hint = (
        "open https://www.bing.com/chat in a browser, solve the challenge, "
        "then pass the browser's fresh cookies"
    )


class NotAuthorized(ServiceError):
    """The request lacks valid credentials (cookies or conversation signature)."""

    exit_code = 5
    openai_code = "not_authorized"

    hint = "sign in to Bing in a browser and pass your own cookies"


class AccessDenied(ServiceError):
    """The service refuses this network or region (HTTP 403)."""

    exit_code = 5
    openai_code = "access_denied"

    hint = "the service blocks this network or region; try from another network"


class ConversationExpired(ServiceError):
    """The conversation does not exist any more (``InvalidSession``)."""

    exit_code = 6
    openai_code = "conversation_expired"

    hint = "start a new conversation"


class ConversationInvalid(ServiceError):
    """The conversation cannot take this turn (``InvalidRequest``), e.g. it is full."""

    exit_code = 6
    openai_code = "conversation_invalid"

    hint = "start a new conversation"


class Busy(ServiceError):
    """A turn is still running in this conversation (``ProcessingMessage``)."""

    exit_code = 7
    http_status = 429
    openai_type = "rate_limit_error"
    openai_code = "upstream_rate_limited"

    hint = "wait for the running answer to finish, then retry"


class ServerError(ServiceError):
    """The service failed on its side (HTTP 5xx)."""

    transient = True
    exit_code = 11
    openai_code = "server_error"

    hint = "a temporary failure of the service; retry later"


class Refused(ServiceError):
    """The service declined this prompt (Microsoft 365 Copilot's ``Disengaged``): not a rate
    limit, not transient — the same prompt is declined again."""

    hint = "the service declined this prompt; retrying it unchanged will not help: rephrase it"
    exit_code = 12
    http_status = 400
    openai_code = "content_filter"


class RequestRefused(ServiceError):
    """The service refused the request for a reason without a class of its own."""

    openai_code = "request_refused"

    hint = "the service refused the request; its message says why"


class UnknownTone(RequestRefused):
    """The service refused the tone (its name for a model) the turn asked for.

    Attributes:
        tone: the tone it refused.
    """

    exit_code = 13
    http_status = 404
    openai_type = "invalid_request_error"
    openai_code = "model_not_found"
    hint = "choose another tone (model); the service changes its set without notice"

    def __init__(self, message: str, *, tone: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.tone = tone
