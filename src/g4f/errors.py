"""The project's exception tree: what each failure means, and nothing about how a surface says it.

Every failure a caller can act on is one class under :class:`G4FError`::

    G4FError
    ├── ProtocolError              the peer broke the ChatHub protocol (malformed record)
    ├── TransportError             the connection failed
    │   ├── NetworkError           the connection could not be used
    │   │   ├── ConnectError       never reached the service: refused, unreachable, closed before
    │   │   │                      the service took the turn (resending is safe)
    │   │   └── ConnectionClosed   type-7 close, closed mid-answer (the service had the turn)
    │   └── TimeoutException       a deadline passed
    │       ├── ConnectTimeout     opening the connection timed out (resending is safe)
    │       ├── ResponseTimeout    nothing arrived within the read timeout
    │       └── TurnTimeout        the turn did not end within its overall deadline
    ├── ServiceError               the service answered, with a refusal
    │   ├── RateLimited            Throttled, PerHourThrottled, HTTP 404/429 on create
    │   ├── ChallengeRequired      CaptchaChallenge, an HTML/empty body instead of JSON
    │   ├── NotAuthorized          UnauthorizedRequest: cookies missing or invalid
    │   ├── AccessDenied           HTTP 403: blocked for this network or region
    │   ├── ConversationExpired    InvalidSession: the conversation is gone
    │   ├── ConversationInvalid    InvalidRequest: the conversation cannot take this turn
    │   ├── Busy                   ProcessingMessage: a turn is still running
    │   ├── ServerError            HTTP 5xx
    │   ├── Refused                the service declined this prompt (Disengaged)
    │   └── RequestRefused         any other non-Success result
    │       ├── UnknownTone        the service does not know the model (tone) asked for
    │       └── InvocationRejected a bare completion at once: the request's shape is refused
    ├── BadRequest                 a surface's request cannot be served as given (also a
    │   │                          ``ValueError``); ``param`` names the field at fault
    │   └── UnknownModel           the model id is not one of the service's models
    └── StoreError                 the API server's conversation store cannot be used
        └── StoreUnavailable       it failed while serving a request (the next one tries again)

The transport branches follow httpx's: a :class:`NetworkError` when the connection failed, a
:class:`TimeoutException` when a deadline passed, each with the one leaf that never reached the
service (:class:`ConnectError`, :class:`ConnectTimeout`).

Each error carries the server's ``message`` and ``partial_text``, the answer text streamed before
the failure, so nothing already received is lost. Messages never include cookies, tokens or
signatures; an error translated from a lower-level one keeps it as a :class:`RedactedCause` (its
type and its message with credentials taken out of URLs), never the original itself.

What a caller can do about an error is said by its class, in one place (here): ``transient``
(trying again may help; the retry policy reads it), ``resend_safe`` (the request never reached the
service, so sending it again cannot run it twice), and ``hint`` (what the user can do; an error's
``advice`` may say better). Subclasses inherit what they do not change. How a surface reports an
error (the ``g4f`` command's exit status, the API server's HTTP status and OpenAI error type and
code) is that surface's own table, from error class to code, read by :func:`lookup` along the
class's MRO: :data:`g4f.cli.exit_codes.EXIT_CODES`, :data:`g4f.api.errors.OPENAI_ERRORS`.

Example::

    try:
        text = "".join(_create_completion("gpt-4", messages, stream=True))
    except RateLimited as exc:
        time.sleep(exc.retry_after or 60)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar, cast

from .urls import redact_text

__all__ = [
    "MAX_RETRY_AFTER",
    "AccessDenied",
    "BadRequest",
    "Busy",
    "ChallengeRequired",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionClosed",
    "ConversationExpired",
    "ConversationInvalid",
    "G4FError",
    "InvocationRejected",
    "NetworkError",
    "NotAuthorized",
    "ProtocolError",
    "RateLimited",
    "RedactedCause",
    "Refused",
    "RequestRefused",
    "ResponseTimeout",
    "ServerError",
    "ServiceError",
    "StoreError",
    "StoreUnavailable",
    "TimeoutException",
    "TransportError",
    "TurnTimeout",
    "UnknownModel",
    "UnknownTone",
    "caused_by",
    "clamp_retry_after",
    "lookup",
    "redacted",
    "truncate",
]

V = TypeVar("V")
E = TypeVar("E", bound=BaseException)


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


def lookup(table: Mapping[type[E], V], error: E) -> V:
    """``table``'s entry for ``error``: that of its most specific class the table names,
    walking the class's MRO (a surface's table names :class:`G4FError`, so every error has one).

    >>> lookup({G4FError: 1, TransportError: 9}, ConnectError("refused"))
    9
    >>> lookup({G4FError: 1, TransportError: 9}, Busy("a turn is running"))
    1
    """
    entries = cast(Mapping[type, V], table)
    for cls in type(error).__mro__:
        if cls in entries:
            return entries[cls]
    raise KeyError(f"no entry for {type(error).__name__} or any of its bases")


class RedactedCause(Exception):
    """What a lower-level exception said, kept as the ``__cause__`` of the typed error it became,
    with credentials taken out (URLs lose their user info and query, tokens are cut out).

    The original itself is not kept: its message, its attributes or its frames may hold a token
    (Microsoft 365's travels in the websocket URL).

    Attributes:
        type_name: the original's class, module-qualified (e.g.
            ``aiohttp.client_exceptions.WSServerHandshakeError``).
        message: the original's message, redacted.
    """

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name, self.message = type_name, message

    @classmethod
    def of(cls, exc: BaseException, depth: int = 4) -> RedactedCause:
        """A redacted copy of ``exc``, and of the causes it names in turn (at most ``depth``)."""
        kind = type(exc)
        module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
        copy = cls(f"{module}{kind.__qualname__}", redact_text(str(exc)))
        inner = exc.__cause__ if exc.__suppress_context__ else exc.__context__
        if inner is not None and depth > 1:
            copy.__cause__ = cls.of(inner, depth - 1)
        return copy


def caused_by(error: E, cause: BaseException) -> E:
    """``error`` with a redacted copy of ``cause`` (a :class:`RedactedCause`) as its
    ``__cause__``, in place of ``raise error from None``.

    Raise the result outside the ``except`` block that caught ``cause``: raised inside, Python
    makes the original its ``__context__``, and the original may hold a credential. ``error``
    that is ``cause`` itself (no typed error for it: a bug) is returned as it is.
    """
    if error is cause:
        return error
    error.__cause__ = RedactedCause.of(cause)
    error.__suppress_context__ = True
    return error


_CHAIN_DEPTH = 8
"""How many links of an error's chain of causes :func:`redacted` keeps."""


def _redact_texts(exc: BaseException, redact: Callable[[str], str]) -> None:
    """``redact`` applied, in place, to ``exc``'s arguments and text attributes (but an
    answer's ``partial_text``: that is the answer, not the server's words about a failure)."""
    exc.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in exc.args)
    for name, value in vars(exc).items():
        if isinstance(value, str) and name != "partial_text":
            setattr(exc, name, redact(value))


def _next_link(exc: BaseException) -> BaseException | None:
    """The exception ``exc`` was raised from, or while handling (as a traceback shows it)."""
    if exc.__cause__ is not None or exc.__suppress_context__:
        return exc.__cause__
    return exc.__context__


def redacted(error: E, redact: Callable[[str], str]) -> E:
    """``error``, in place, with ``redact`` (e.g. a :class:`~g4f.urls.Redactor` that knows the
    user's credentials) applied to every text it and its chain of causes carry, so that a
    secret a server repeated back reaches no message, ``repr``, log or API error body.

    Each link of the chain that is no error of ours becomes a :class:`RedactedCause`; the chain
    is kept as causes only (``__context__`` is cleared: it is where an original that held a
    secret would hide).
    """
    _redact_texts(error, redact)
    link: BaseException = error
    for _ in range(_CHAIN_DEPTH):
        inner = _next_link(link)
        if inner is not None and not isinstance(inner, G4FError | RedactedCause):
            original, inner = inner, RedactedCause.of(inner, depth=1)
            inner.__cause__ = _next_link(original)  # redacted in the next round
        if inner is not None:
            _redact_texts(inner, redact)
        link.__cause__, link.__context__ = inner, None
        link.__suppress_context__ = True
        if inner is None:
            return error
        link = inner
    link.__cause__ = link.__context__ = None
    return error


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

    hint = "the server does not speak ChatHub as expected; check the endpoint URL"


class TransportError(G4FError):
    """The connection to the service failed."""

    hint = "try again; if it persists, check the network"
    transient = True


class NetworkError(TransportError):
    """The connection could not be opened, or it closed before the turn ended."""

    hint = "try again; if it persists, check the network or the endpoint URL"


class ConnectError(NetworkError):
    """The request never reached the service: the connection could not be opened, or it was
    found closed before the service took the turn. Sending it again is safe."""

    resend_safe = True


class ConnectionClosed(NetworkError):
    """The connection closed once the service may have taken the request: mid-answer, or during
    an HTTP request. Sending it again may run it twice."""


class TimeoutException(TransportError):
    """A deadline passed: connecting, waiting for the next message, or the whole turn."""

    hint = "try again, or raise the timeout"


class ConnectTimeout(TimeoutException):
    """Opening the connection timed out: the request never reached the service."""

    resend_safe = True


class ResponseTimeout(TimeoutException):
    """Nothing arrived from the service within the configured timeout."""


class TurnTimeout(TimeoutException):
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


class RateLimited(ServiceError):
    """Too many requests: the service throttled this user or client."""

    transient = True

    hint = "wait and retry later, and reuse conversations instead of creating new ones"


class ChallengeRequired(ServiceError):
    """The service wants a human check (CAPTCHA) before it answers."""

    hint = (
        "open https://www.bing.com/chat in a browser, solve the challenge, "
        "then pass the browser's fresh cookies"
    )


class NotAuthorized(ServiceError):
    """The request lacks valid credentials (cookies or conversation signature)."""

    hint = "sign in to Bing in a browser and pass your own cookies"


class AccessDenied(ServiceError):
    """The service refuses this network or region (HTTP 403)."""

    hint = "the service blocks this network or region; try from another network"


class ConversationExpired(ServiceError):
    """The conversation does not exist any more (``InvalidSession``)."""

    hint = "start a new conversation"


class ConversationInvalid(ServiceError):
    """The conversation cannot take this turn (``InvalidRequest``), e.g. it is full."""

    hint = "start a new conversation"


class Busy(ServiceError):
    """A turn is still running in this conversation (``ProcessingMessage``)."""

    hint = "wait for the running answer to finish, then retry"


class ServerError(ServiceError):
    """The service failed on its side (HTTP 5xx)."""

    transient = True

    hint = "a temporary failure of the service; retry later"


class Refused(ServiceError):
    """The service declined this prompt (Microsoft 365 Copilot's ``Disengaged``): not a rate
    limit, not transient — the same prompt is declined again."""

    hint = "the service declined this prompt; retrying it unchanged will not help: rephrase it"


class RequestRefused(ServiceError):
    """The service refused the request for a reason without a class of its own."""

    hint = "the service refused the request; its message says why"


class UnknownTone(RequestRefused):
    """The service refused the tone (its name for a model) the turn asked for.

    Attributes:
        tone: the tone it refused.
    """

    hint = "choose another tone (model); the service changes its set without notice"

    def __init__(self, message: str, *, tone: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.tone = tone


class InvocationRejected(RequestRefused):
    """The service ended the turn at once without a word (a bare completion right after the
    invocation): it did not accept the request's shape — the protocol changed since this
    version of g4f-bing was made."""

    hint = "update g4f-bing (pip install -U g4f-bing): the service changed what it accepts"


class BadRequest(G4FError, ValueError):
    """A request to a surface (the OpenAI API, the in-process ``Client``) cannot be served as
    given; nothing was sent. Also a ``ValueError``: bad input, raised at once.

    Its message says what to change (there is no separate hint).

    Attributes:
        param: the request's field at fault (e.g. ``"messages[0].content"``), when one is.
        code: a short machine-readable reason (``"invalid_request"``, ``"not_supported"``,
            ``"model_not_found"``).
    """

    def __init__(self, message: str, *, param: str | None = None, code: str = "invalid_request"):
        super().__init__(message)
        self.param, self.code = param, code


class UnknownModel(BadRequest):
    """The model id is not one of the service's models (:data:`g4f.models.MODELS`)."""

    def __init__(self, message: str, *, param: str | None = "model", code: str = "model_not_found"):
        super().__init__(message, param=param, code=code)


class StoreError(G4FError):
    """The API server's conversation store cannot be used: unreachable at start-up, corrupt, or
    its key is wrong. The message names the store and says what to do."""


class StoreUnavailable(StoreError):
    """The store failed while serving a request (e.g. Redis went away); the next request tries
    again."""

    transient = True
