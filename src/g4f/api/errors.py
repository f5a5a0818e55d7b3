"""The API server's error answers, all in OpenAI's shape (``{"error": {message, type, param,
code}}``): FastAPI's routing and validation errors, our own bugs, a refused request, the store
and the upstream — before a stream began (a status) and after (the SSE error event).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .. import errors
from ..openai import BadRequest, UnknownModel
from .middleware import error_body, openai_error
from .store import StoreError, StoreUnavailable

__all__ = [
    "Failure",
    "failure_response",
    "install_handlers",
    "internal_message",
    "sse",
    "sse_error",
    "upstream_error",
]

log = logging.getLogger(__name__)

Failure = BadRequest | StoreError | StoreUnavailable | errors.G4FError
"""What a request can fail with that is answered as an error, not logged as a bug."""

_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_request"}


def internal_message(exc: BaseException) -> str:
    """What a caller is told of a bug of ours (the details are in the server's log)."""
    return f"Internal error ({type(exc).__name__}); the server's log has the details."


def upstream_error(error: errors.G4FError) -> JSONResponse:
    """The response for an upstream failure before anything was streamed, as its class says."""
    headers = {}
    if error.http_status == 429 and error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    return openai_error(
        error.http_status, str(error), error.openai_type, error.openai_code, headers=headers
    )


def failure_response(exc: Failure) -> JSONResponse:
    """The answer to a request that failed with ``exc`` before any of its answer was sent."""
    if isinstance(exc, UnknownModel):
        return openai_error(404, exc.message, code=exc.code, param=exc.param)
    if isinstance(exc, StoreUnavailable):
        log.warning("conversation store unavailable: %s", exc)
        return openai_error(
            503,
            f"The conversation store is unavailable ({exc}); retry shortly.",
            "server_error",
            "store_unavailable",
        )
    if isinstance(exc, StoreError):  # e.g. a conversation stored with another --store-key
        log.error("conversation store error: %s", exc)
        return openai_error(
            500, f"The conversation store failed: {exc}.", "server_error", "store_error"
        )
    if isinstance(exc, BadRequest):
        return openai_error(400, exc.message, code=exc.code, param=exc.param)
    return upstream_error(exc)


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
    if first.get("type") == "json_invalid":
        return openai_error(400, "The body is not valid JSON.", code="invalid_json")
    param = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
    message = f"Invalid request: {first.get('msg', 'bad body')}"
    return openai_error(422, message, code="invalid_request", param=param)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Routing's answers (404, 405, …), in OpenAI's shape."""
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    return openai_error(exc.status_code, str(exc.detail), code=code, headers=headers)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug of ours, never the caller's: logged with its traceback here, answered in OpenAI's
    shape there."""
    log.error("internal error answering %s", request.url.path, exc_info=exc)
    return openai_error(500, internal_message(exc), "server_error", "internal_error")


def install_handlers(app: FastAPI) -> None:
    """Answer every error FastAPI and the routes raise in OpenAI's shape."""
    app.exception_handler(RequestValidationError)(_invalid)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(Exception)(_internal)
