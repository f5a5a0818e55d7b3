"""The API server's error answers, all in OpenAI's shape (``{"error": {message, type, param,
code}}``): the HTTP status and OpenAI error type and code per error class, in one table read along
the class's MRO; FastAPI's routing and validation errors and our own bugs; the SSE error event of
a stream that failed after it began.

What an error *means* is on its class (:mod:`g4f.errors`); how this surface says it is here. A
class the table does not name has its nearest base's entry; every error has one
(:class:`~g4f.errors.G4FError`'s: 502 ``upstream_error``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .. import errors
from .disconnect import STOPPING_MESSAGE, CallerGone, ServerStopping
from .failures import ConversationBusy, NotFound
from .guide import not_found_message, not_json_message, routes_of
from .middleware import anthropic_path, error_body, error_for_path, openai_error

__all__ = [
    "OPENAI_ERRORS",
    "OpenAIError",
    "error_response",
    "failed_midway",
    "install_handlers",
    "internal_message",
    "openai_error_for",
    "sse",
    "sse_error",
    "stream_error",
    "stream_error_fields",
]

log = logging.getLogger(__name__)

_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_request"}


@dataclass(frozen=True, slots=True)
class OpenAIError:
    """One class's answer: the HTTP status, OpenAI's error ``type`` and ``code``, the message
    (a template of ``{error}``, the error itself), and what is logged, at which level (``None``:
    nothing; the caller's or the upstream's failure is not the server's)."""

    status: int
    type: str
    code: str
    message: str = "{error}"
    log: tuple[int, str] | None = None


_UPSTREAM = "upstream_error"
_INVALID = "invalid_request_error"
_RATE = "rate_limit_error"
_SERVER = "server_error"

OPENAI_ERRORS: Mapping[type[errors.G4FError], OpenAIError] = MappingProxyType(
    {
        errors.G4FError: OpenAIError(502, _UPSTREAM, "upstream_error"),
        errors.ProtocolError: OpenAIError(502, _UPSTREAM, "protocol_error"),
        errors.TransportError: OpenAIError(502, _UPSTREAM, "transport_error"),
        errors.NetworkError: OpenAIError(502, _UPSTREAM, "connection_closed"),
        errors.TimeoutException: OpenAIError(504, _UPSTREAM, "upstream_timeout"),
        errors.ServiceError: OpenAIError(502, _UPSTREAM, "service_error"),
        errors.RateLimited: OpenAIError(429, _RATE, "upstream_rate_limited"),
        errors.ChallengeRequired: OpenAIError(502, _UPSTREAM, "challenge_required"),
        errors.NotAuthorized: OpenAIError(502, _UPSTREAM, "not_authorized"),
        errors.AccessDenied: OpenAIError(502, _UPSTREAM, "access_denied"),
        errors.ConversationExpired: OpenAIError(502, _UPSTREAM, "conversation_expired"),
        errors.ConversationInvalid: OpenAIError(502, _UPSTREAM, "conversation_invalid"),
        errors.Busy: OpenAIError(429, _RATE, "upstream_rate_limited"),
        errors.ServerError: OpenAIError(502, _UPSTREAM, "server_error"),
        errors.Refused: OpenAIError(400, _UPSTREAM, "content_filter"),
        errors.RequestRefused: OpenAIError(502, _UPSTREAM, "request_refused"),
        errors.UnknownTone: OpenAIError(404, _INVALID, "model_not_found"),
        # The request's own faults; the error's ``code`` and ``param`` say which (see below).
        errors.BadRequest: OpenAIError(400, _INVALID, "invalid_request", "{error.message}"),
        errors.UnknownModel: OpenAIError(404, _INVALID, "model_not_found", "{error.message}"),
        NotFound: OpenAIError(404, _INVALID, "not_found", "{error.message}"),
        ConversationBusy: OpenAIError(429, _RATE, "conversation_busy", "{error.message}"),
        # The server's own store: logged, for the operator.
        errors.StoreError: OpenAIError(
            500,
            _SERVER,
            "store_error",
            "The conversation store failed: {error}.",
            (logging.ERROR, "conversation store error: {error}"),
        ),
        errors.StoreUnavailable: OpenAIError(
            503,
            _SERVER,
            "store_unavailable",
            "The conversation store is unavailable ({error}); retry shortly.",
            (logging.WARNING, "conversation store unavailable: {error}"),
        ),
    }
)
"""The answer per error class."""


def openai_error_for(error: errors.G4FError) -> OpenAIError:
    """The answer for ``error``: its class's entry in :data:`OPENAI_ERRORS`, with a
    :class:`~g4f.errors.BadRequest`'s own ``code``.

    >>> entry = openai_error_for(errors.ConnectTimeout("timed out"))
    >>> entry.status, entry.type, entry.code
    (504, 'upstream_error', 'upstream_timeout')
    """
    entry = errors.lookup(OPENAI_ERRORS, error)
    if isinstance(error, errors.BadRequest):
        entry = replace(entry, code=error.code)
    return entry


def error_response(error: errors.G4FError) -> JSONResponse:
    """The response for ``error`` before anything was streamed, in OpenAI's shape: a
    ``Retry-After`` on a 429 whose wait is known, the field at fault of a bad request."""
    entry = openai_error_for(error)
    if entry.log is not None:
        level, logged = entry.log
        log.log(level, "%s", logged.format(error=error))
    headers = {}
    if entry.status == 429 and error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    param = error.param if isinstance(error, errors.BadRequest) else None
    message = entry.message.format(error=error)
    return openai_error(entry.status, message, entry.type, entry.code, param, headers)


def internal_message(exc: BaseException) -> str:
    """What a caller is told of a bug of ours (the details are in the server's log)."""
    return f"Internal error ({type(exc).__name__}); the server's log has the details."


def sse(data: Any) -> bytes:
    """One server-sent event carrying ``data`` as JSON."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def sse_error(message: str, type_: str, code: str, status: int) -> bytes:
    """The event that ends a stream that failed after it began (no ``[DONE]`` follows)."""
    body = error_body(message, type_, code)
    body["error"]["status"] = status
    return sse(body)


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body FastAPI could not parse or validate: 400 (not JSON) or 422 naming the field."""
    first = exc.errors()[0] if exc.errors() else {}
    path = request.url.path
    content_type = request.headers.get("content-type", "")
    if tuple(first.get("loc", ())) == ("body",) and "json" not in content_type.lower():
        # FastAPI did not read a body it was not told is JSON
        message = not_json_message(content_type)
        return error_for_path(path, 415, message, "unsupported_media_type")
    if first.get("type") == "json_invalid":
        return error_for_path(path, 400, "The body is not valid JSON.", "invalid_json")
    param = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
    message = f"Invalid request: {first.get('msg', 'bad body')}"
    if anthropic_path(path):  # Anthropic answers every invalid body with a 400
        return error_for_path(path, 400, f"{param}: {message}" if param else message, "")
    return openai_error(422, message, code="invalid_request", param=param)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Routing's answers (404, 405, …), in OpenAI's shape."""
    if exc.status_code == 404 and exc.detail == "Not Found":  # no route: say what exists
        served, docs = routes_of(request.app)
        message = not_found_message(request.method, request.url.path, served, docs)
        return error_for_path(request.url.path, 404, message, "not_found")
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    return error_for_path(request.url.path, exc.status_code, str(exc.detail), code, headers)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug of ours, never the caller's: logged with its traceback here, answered in OpenAI's
    shape there."""
    log.error("internal error answering %s", request.url.path, exc_info=exc)
    return error_for_path(request.url.path, 500, internal_message(exc), "internal_error")


async def _caller_gone(request: Request, exc: CallerGone) -> JSONResponse:
    """Nobody reads it: the caller left, and its turn was stopped."""
    return error_for_path(request.url.path, 499, "The caller disconnected.", "client_closed")


async def _stopping(request: Request, exc: ServerStopping) -> JSONResponse:
    """A turn the server's stop cut before its answer was whole."""
    return error_for_path(request.url.path, 503, STOPPING_MESSAGE, "server_stopping")


def install_handlers(app: FastAPI) -> None:
    """Answer every error FastAPI and the routes raise in OpenAI's shape."""
    app.exception_handler(CallerGone)(_caller_gone)
    app.exception_handler(ServerStopping)(_stopping)
    app.exception_handler(RequestValidationError)(_invalid)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(Exception)(_internal)


def stream_error_fields(error: BaseException) -> dict[str, Any]:
    """The OpenAI-style ``message``, ``type``, ``code`` and ``status`` of a stream's failure:
    ``error``'s own, or for a bug of ours (not a :class:`~g4f.errors.G4FError`) a 500 that
    says only :func:`internal_message`."""
    if not isinstance(error, errors.G4FError):
        return {
            "message": internal_message(error),
            "type": "server_error",
            "code": "internal_error",
            "status": 500,
        }
    entry = openai_error_for(error)
    return {"message": str(error), "type": entry.type, "code": entry.code, "status": entry.status}


def stream_error(error: BaseException) -> bytes:
    """The event that ends a Chat Completions stream that failed with ``error`` after it
    began (no ``[DONE]`` follows)."""
    fields = stream_error_fields(error)
    return sse_error(fields["message"], fields["type"], fields["code"], fields["status"])


def failed_midway(error: Exception, event: Callable[[Exception], bytes]) -> bytes:
    """The event, as ``event`` writes it, that ends a stream which failed with ``error`` after
    it began. A bug of ours (anything but a :class:`~g4f.errors.G4FError`) is logged first with
    its traceback: the caller is told only :func:`internal_message`."""
    if not isinstance(error, errors.G4FError):
        log.error("internal error while streaming", exc_info=error)
    return event(error)
