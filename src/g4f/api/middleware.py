"""The API server's ASGI layers around FastAPI: OpenAI-shaped errors, the body-size limit and
the API key. Plain ASGI wrappers: Starlette's ``BaseHTTPMiddleware`` would pass every streamed
chunk through an extra in-memory stream."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.responses import JSONResponse

from .guide import LET_THROUGH, docs_by_browser

__all__ = ["ASGIApp", "error_body", "limit_body", "openai_error", "require_key"]

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
    response = openai_error(
        413, f"The request body is larger than {max_bytes} bytes.", code="request_too_large"
    )
    await response(scope, receive, send)


def _bearer_token(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The token of an ``Authorization: Bearer …`` header (the scheme in any case), or b""."""
    value = dict(headers).get(b"authorization", b"")
    scheme, _, token = value.strip().partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" else b""


def require_key(app: ASGIApp, api_key: str) -> ASGIApp:
    """Answer 401 unless ``Authorization: Bearer api_key``, on every path but the probes.

    The key is compared in constant time. The docs pages (with ``--docs``) also open from a
    browser: ``/docs?key=KEY`` once sets a cookie for them (:mod:`g4f.api.guide`). CORS
    preflights (``OPTIONS`` with ``Access-Control-Request-Method``) carry no credentials by
    design: they pass, and the CORS layer outside this one answers them.
    """
    expected = api_key.encode()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") not in OPEN_PATHS:
            headers = scope.get("headers") or []
            preflight = scope.get("method") == "OPTIONS" and any(
                name == b"access-control-request-method" for name, _ in headers
            )
            if not preflight and not hmac.compare_digest(_bearer_token(headers), expected):
                response = docs_by_browser(scope, api_key) or openai_error(
                    401, "Incorrect API key provided.", code="invalid_api_key"
                )
                if response is not LET_THROUGH:
                    await response(scope, receive, send)
                    return
        await app(scope, receive, send)

    return middleware
