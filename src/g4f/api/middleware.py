"""The API server's ASGI layers around FastAPI: errors in the shape of the path's API (OpenAI's,
or Anthropic's under ``/v1/messages``), the body-size limit and the API key. Plain ASGI
wrappers: Starlette's ``BaseHTTPMiddleware`` would pass every streamed chunk through an extra
in-memory stream."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.responses import JSONResponse

__all__ = [
    "ASGIApp",
    "anthropic_error",
    "anthropic_path",
    "error_body",
    "error_for_path",
    "limit_body",
    "openai_error",
    "require_key",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/health", "/ready"})
"""Paths served without the API key (liveness and readiness probes)."""


def error_body(
    message: str,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """OpenAI's error shape, ``{"error": {message, type, param, code}}``: every error answer
    of the server is one, whoever raises it."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def openai_error(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error response in OpenAI's shape (see :func:`error_body`)."""
    return JSONResponse(
        error_body(message, type_, code, param), status_code=status, headers=headers
    )


ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
"""Anthropic's error ``type`` per HTTP status (any other 4xx: invalid_request_error, 5xx:
api_error)."""


def anthropic_path(path: str) -> bool:
    """Whether ``path`` is one of Anthropic's Messages API (its errors are in its shape)."""
    return path == "/v1/messages" or path.startswith("/v1/messages/")


def anthropic_error(
    status: int, message: str, type_: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error response in Anthropic's shape, ``{"type": "error", "error": {type, message}}``
    (the type from the status by default, see :data:`ANTHROPIC_TYPES`)."""
    kind = type_ or ANTHROPIC_TYPES.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def error_for_path(
    path: str, status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error response in the shape of the API ``path`` belongs to: Anthropic's for
    :func:`anthropic_path`, else OpenAI's (its type from the status, ``code`` as given)."""
    if anthropic_path(path):
        return anthropic_error(status, message, headers=headers)
    type_ = (
        "server_error" if status >= 500 else "rate_limit_error" if status == 429 else None
    ) or "invalid_request_error"
    return openai_error(status, message, type_, code or None, headers=headers)


def limit_body(app: ASGIApp, max_bytes: int) -> ASGIApp:
    """Answer 413 to a body larger than ``max_bytes``, declared or sent (chunked included).

    The body is read here, at most ``max_bytes`` of it, and handed on whole; what the app then
    receives is the client's (a disconnect, for a streaming response).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _too_large(scope, receive, send, max_bytes)
            return
        pieces: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending its body
            size += len(message.get("body", b""))
            if size > max_bytes:
                await _too_large(scope, receive, send, max_bytes)
                return
            pieces.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(pieces), "more_body": False}

        await app(scope, replay, send)

    return middleware


async def _too_large(scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
    message = f"The request body is larger than {max_bytes} bytes."
    response = error_for_path(str(scope.get("path", "")), 413, message, "request_too_large")
    await response(scope, receive, send)


def _bearer_token(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The token of an ``Authorization: Bearer …`` header (the scheme in any case), else of an
    ``x-api-key`` header (as Anthropic's clients send it), or b""."""
    named = dict(headers)
    value = named.get(b"authorization", b"")
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() == b"bearer" and token.strip():
        return token.strip()
    return named.get(b"x-api-key", b"").strip()


def require_key(app: ASGIApp, api_key: str, public: Callable[[str], bool] | None = None) -> ASGIApp:
    """Answer 401 unless ``Authorization: Bearer api_key`` (or ``x-api-key: api_key``), on
    every path but the probes (and those ``public`` says hold no data: the chat page's static
    files).

    The key is compared in constant time. CORS preflights (``OPTIONS`` with
    ``Access-Control-Request-Method``) carry no credentials by design: they pass, and the CORS
    layer outside this one answers them.
    """
    expected = api_key.encode()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path not in OPEN_PATHS and not (public and public(path)):
            headers = scope.get("headers") or []
            preflight = scope.get("method") == "OPTIONS" and any(
                name == b"access-control-request-method" for name, _ in headers
            )
            if not preflight and not hmac.compare_digest(_bearer_token(headers), expected):
                response = error_for_path(
                    str(scope.get("path", "")),
                    401,
                    "Incorrect API key provided.",
                    "invalid_api_key",
                )
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return middleware
