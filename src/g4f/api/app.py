"""The OpenAI-compatible HTTP server: ``POST /v1/chat/completions`` and friends, over the engine.

Every error answer, whoever raises it (FastAPI's routing and validation, the middleware, the
upstream), is in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from .. import __version__, errors
from ..engine.backend import Backend
from ..models import models_of
from ..openai import BadRequest, ChunkBuilder, CompletionRequest, Part, UnknownModel, complete
from ..openai.request import default_model, model_for
from ..protocol.conversation import Conversation
from ..services.registry import backend_for
from .errors import error_response, openai_error_for
from .events import mount_events
from .middleware import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    error_body,
    limit_body,
    openai_error,
    require_key,
)
from .settings import ApiSettings
from .store import ConversationStore, Lease, StoreUnavailable, make_store
from .ui import mount_docs, mount_ui, public_path

__all__ = ["ApiSettings", "create_app", "make_settings_store"]

log = logging.getLogger(__name__)


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant"]
    content: str | list[_Part]


class ChatRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    user: str | None = None
    temperature: float | None = None  # accepted and ignored: ChatHub has no such setting
    top_p: float | None = None  # accepted and ignored
    n: int | None = Field(default=None, ge=1)
    conversation_id: str | None = None
    # Refused when given (ChatHub here has no tool calls), never silently ignored:
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    tool_choice: Any = None
    function_call: Any = None


_UNSUPPORTED = ("tools", "functions", "tool_choice", "function_call")


def _check_request(body: ChatRequest, settings: ApiSettings) -> None:
    """What the body's schema cannot say; :class:`BadRequest` naming the field at fault."""
    for name in _UNSUPPORTED:
        if getattr(body, name) not in (None, [], "none"):
            raise BadRequest(
                f"'{name}' is not supported by this server (no tool or function calls).",
                param=name,
                code="not_supported",
            )
    if len(body.messages) > settings.max_messages:
        raise BadRequest(
            f"At most {settings.max_messages} messages are accepted.", param="messages"
        )
    if body.n not in (None, 1):
        raise BadRequest("Only n=1 is supported.", param="n")
    where = _lone_surrogate(body.model_dump(), "")
    if where is not None:
        raise BadRequest(
            "The request contains text that is not valid Unicode (a lone surrogate).",
            param=where or None,
        )


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The path of the first string in ``value`` that UTF-8 cannot encode, or ``None``."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        inner = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        found = _lone_surrogate(item, inner)
        if found is not None:
            return found
    return None


def upstream_error(error: errors.G4FError) -> JSONResponse:
    """The response for an upstream failure before anything was streamed, as its class says
    (:data:`g4f.api.errors.OPENAI_ERRORS`)."""
    return error_response(error)


def _sse(data: Any) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _sse_error(message: str, type_: str, code: str, status: int) -> bytes:
    """The event that ends a stream that failed after it began (no ``[DONE]`` follows)."""
    body = error_body(message, type_, code)
    body["error"]["status"] = status
    return _sse(body)


_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_request"}


class _Readiness:
    """The upstream check behind ``/ready``: one at a time, its result kept ``ttl`` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._result: tuple[float, errors.G4FError | None] | None = None
        self._lock = asyncio.Lock()

    async def check(self, client: Backend) -> errors.G4FError | None:
        """``None`` when the upstream answered its handshake, else why not."""
        async with self._lock:  # concurrent probes wait for one check, not one each
            if self._result is not None and self.clock() - self._result[0] < self.ttl:
                return self._result[1]
            failure: errors.G4FError | None = None
            try:
                await client.check()
            except errors.G4FError as exc:
                failure = exc
            self._result = (self.clock(), failure)
            return failure


def create_app(settings: ApiSettings | None = None) -> ASGIApp:
    """The ASGI application: FastAPI, inside the key check, the body-size limit and CORS.

    Example::

        import uvicorn
        uvicorn.run(create_app(ApiSettings(url="http://127.0.0.1:8765")), port=1337)
    """
    settings = settings or ApiSettings()
    store = make_settings_store(settings)
    readiness = _Readiness(settings.ready_cache)
    state: dict[str, Backend] = {}
    # A crashed worker's lease lets its conversation go once a turn could no longer be running.
    lease_seconds = settings.timeouts.turn + settings.timeouts.connect + settings.timeouts.stop + 30

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
        await store.open()
        try:
            async with upstream_client(settings) as client:
                state["client"] = client
                yield
                state.clear()
        finally:
            await store.close()

    app = FastAPI(
        title="g4f-bing",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # mount_docs serves it from the package's files
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.conversations = store
    mount_events(app, settings, store, lambda: state["client"])
    if settings.ui:
        mount_ui(app)
    if settings.docs:
        mount_docs(app)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return openai_error(400, "The body is not valid JSON.", code="invalid_json")
        param = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        message = f"Invalid request: {first.get('msg', 'bad body')}"
        return openai_error(422, message, code="invalid_request", param=param)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return openai_error(exc.status_code, str(exc.detail), code=code, headers=headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # A bug of ours, never the caller's: logged with its traceback here, answered in
        # OpenAI's shape there.
        log.error("internal error answering %s", request.url.path, exc_info=exc)
        message = f"Internal error ({type(exc).__name__}); the server's log has the details."
        return openai_error(500, message, "server_error", "internal_error")

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the server runs (says nothing of the upstream; see ``/ready``)."""
        return {"status": "ok"}

    @app.get("/ready", response_model=None)
    async def ready() -> dict[str, str] | JSONResponse:
        """Readiness: the upstream answers a ChatHub handshake (checked at most every
        ``ready_cache`` seconds)."""
        failure = await readiness.check(state["client"])
        if failure is None:
            return {"status": "ready"}
        code = openai_error_for(failure).code
        return openai_error(503, f"The upstream is not ready: {failure}", "upstream_error", code)

    def model_object(model_id: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": 0, "owned_by": "g4f-bing"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        listed = models_of(settings.service)
        return {"object": "list", "data": [model_object(m.id) for m in listed]}

    @app.get("/v1/models/{model_id:path}", response_model=None)
    async def model(model_id: str) -> dict[str, Any] | JSONResponse:
        try:
            model_for(model_id, settings.service)
        except UnknownModel as exc:
            return error_response(exc)
        return model_object(model_id)

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatRequest) -> Response:
        try:
            return await _completion(body)
        except errors.G4FError as exc:  # the request's, the store's or the upstream's failure
            return error_response(exc)

    async def _completion(body: ChatRequest) -> Response:
        _check_request(body, settings)
        request = CompletionRequest.build(
            [m.model_dump(exclude_none=True) for m in body.messages],
            model=body.model or default_model(settings.service),
            max_tokens=body.max_tokens,
            stop=body.stop,
            service=settings.service,
        )
        client = state["client"]
        lease: Lease | None
        if body.conversation_id is not None:
            stored, lease = await store.checkout(body.conversation_id, lease_seconds)
            if stored is None or stored.service != settings.service:
                if lease is not None:
                    await store.release(lease)
                return openai_error(
                    404,
                    f"No conversation '{body.conversation_id}' (unknown or expired).",
                    code="conversation_not_found",
                    param="conversation_id",
                )
            conversation = stored.conversation
        else:
            conversation = await client.start_conversation(request.style)
            lease = await store.start(settings.service, conversation, lease_seconds)
        if lease is None:
            return openai_error(
                429,
                f"The conversation '{conversation.conversation_id}' is busy with another "
                "turn; retry when it has finished.",
                "rate_limit_error",
                "conversation_busy",
                param="conversation_id",
            )
        builder = ChunkBuilder(
            model=request.model,
            prompt_tokens=request.prompt.tokens,
            conversation_id=conversation.conversation_id,
        )
        parts = _kept(
            complete(client, request, conversation=conversation),
            functools.partial(_save, store, settings.service, conversation, lease),
        )
        if not body.stream:
            async with contextlib.aclosing(parts):
                collected = [part async for part in parts]
            return JSONResponse(builder.completion(collected).model_dump())
        # The first part decides the status: failures before any text are plain errors.
        try:
            first = await anext(parts)
        except BaseException:
            await parts.aclose()
            raise
        return _EventStream(
            _stream(builder, first, parts),
            parts,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    wrapped: ASGIApp = app
    if settings.api_key:
        wrapped = require_key(wrapped, settings.api_key, public_path)
    wrapped = limit_body(wrapped, settings.max_body_bytes)
    if settings.cors_origins:
        # Outermost: preflights are answered before the key is asked for, and every answer,
        # a 401 included, carries the CORS headers a browser needs to read it.
        wrapped = CORSMiddleware(
            wrapped,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return wrapped


def upstream_client(settings: ApiSettings) -> Backend:
    """The client of the service ``settings`` name, with the operator's credentials."""
    credentials: dict[str, Any] = (
        {"token": settings.token, "token_file": settings.token_file}
        if settings.service == "m365"
        else {"cookies": settings.cookies, "max_idle_connections": settings.idle_websockets}
    )
    return backend_for(
        settings.service,
        url=settings.url,
        proxy=settings.proxy,
        timeouts=settings.timeouts,
        retry=settings.retry,
        **credentials,
    )


def make_settings_store(settings: ApiSettings) -> ConversationStore:
    """The conversation store ``settings`` name (not yet opened)."""
    return make_store(
        settings.store,
        ttl=settings.conversation_ttl,
        cap=settings.max_conversations,
        key=settings.store_key,
    )


async def _save(
    store: ConversationStore, service: str, conversation: Conversation, lease: Lease
) -> None:
    """After a turn: keep the conversation's new turn counter and give its lease back (if the
    store is unavailable now, the lease expires by itself)."""
    try:
        await store.checkin(service, conversation, lease)
    except StoreUnavailable as exc:
        log.warning("could not save a conversation after its turn: %s", exc)


async def _kept(
    parts: AsyncGenerator[Part, None], finish: Callable[[], Awaitable[None]]
) -> AsyncGenerator[Part, None]:
    """``parts``, then ``finish()`` however the turn ends — run in a task of its own, so that a
    caller cancelled while leaving (a disconnect) still saves and releases."""
    try:
        async with contextlib.aclosing(parts):
            async for part in parts:
                yield part
    finally:
        await asyncio.shield(asyncio.ensure_future(finish()))


class _EventStream(StreamingResponse):
    """A streaming response that closes the upstream turn whatever happens to the response,
    even when the client leaves before its body is iterated."""

    def __init__(
        self, content: AsyncIterator[bytes], parts: AsyncGenerator[Part, None], **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self._parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._parts.aclose()


async def _stream(
    builder: ChunkBuilder, first: Part, parts: AsyncGenerator[Part, None]
) -> AsyncGenerator[bytes, None]:
    """SSE: the role chunk, content chunks, the finish chunk, ``[DONE]``; or an error event.

    A client that disconnects cancels this generator, which closes the upstream turn.
    """
    async with contextlib.aclosing(parts):
        yield f"data: {builder.chunk_json()}\n\ndata: {builder.chunk_json(first)}\n\n".encode()
        try:
            async for part in parts:
                yield f"data: {builder.chunk_json(part)}\n\n".encode()
        except errors.G4FError as exc:
            entry = openai_error_for(exc)
            yield _sse_error(str(exc), entry.type, entry.code, entry.status)
            return
        except Exception as exc:  # a bug of ours: the stream still ends with an error event
            log.error("internal error while streaming", exc_info=exc)
            message = f"Internal error ({type(exc).__name__}); the server's log has the details."
            yield _sse_error(message, "server_error", "internal_error", 500)
            return
    yield b"data: [DONE]\n\n"
