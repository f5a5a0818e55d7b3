"""The OpenAI-compatible HTTP server: ``POST /v1/chat/completions`` and friends, over the engine."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__, errors
from ..client import BingClient, Conversation
from ..models import DEFAULT_MODEL, MODELS
from ..openai import BadRequest, ChunkBuilder, CompletionRequest, Part, UnknownModel, complete
from .settings import ApiSettings

__all__ = ["ApiSettings", "ConversationStore", "create_app"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ConversationStore:
    """Conversations kept in memory by id, with a time to live and a cap (LRU)."""

    def __init__(self, ttl: float, cap: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.cap, self.clock = ttl, cap, clock
        self._items: OrderedDict[str, tuple[Conversation, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, conversation_id: str) -> Conversation | None:
        """The live conversation with this id, or ``None``."""
        self._expire()
        item = self._items.get(conversation_id)
        if item is None:
            return None
        self._items.move_to_end(conversation_id)
        self._items[conversation_id] = (item[0], self.clock() + self.ttl)
        return item[0]

    def put(self, conversation: Conversation) -> None:
        """Keep ``conversation``; evicts the least recently used beyond the cap."""
        self._expire()
        self._items[conversation.conversation_id] = (conversation, self.clock() + self.ttl)
        self._items.move_to_end(conversation.conversation_id)
        while len(self._items) > self.cap:
            self._items.popitem(last=False)

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, (_, expires) in self._items.items() if expires <= now]:
            del self._items[key]


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
    model: str = DEFAULT_MODEL
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    user: str | None = None
    temperature: float | None = None  # accepted and ignored: ChatHub has no such setting
    top_p: float | None = None  # accepted and ignored
    n: int | None = Field(default=None, ge=1)
    conversation_id: str | None = None


def openai_error(
    status: int,
    message: str,
    type_: str,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error response in OpenAI's shape."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _upstream(error: errors.G4FError) -> tuple[int, str, str]:
    """Status, error type and code for an upstream failure, as its class says."""
    return error.http_status, error.openai_type, error.openai_code


def upstream_error(error: errors.G4FError) -> JSONResponse:
    """The response for an upstream failure before anything was streamed."""
    status, type_, code = _upstream(error)
    headers = {}
    if status == 429 and error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    return openai_error(status, str(error), type_, code, headers=headers)


def _sse(data: Any) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class _BodyTooLarge(Exception):
    pass


def limit_body(app: ASGIApp, max_bytes: int) -> ASGIApp:
    """ASGI middleware answering 413 to a body larger than ``max_bytes``, read or declared."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _too_large(scope, receive, send, max_bytes)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise _BodyTooLarge
            return message

        try:
            await app(scope, counted, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send, max_bytes)

    return middleware


def require_key(app: ASGIApp, api_key: str) -> ASGIApp:
    """ASGI middleware answering 401 under ``/v1/`` unless ``Authorization: Bearer api_key``.

    The key is compared in constant time. (A plain ASGI wrapper: Starlette's ``BaseHTTPMiddleware``
    would pass every streamed chunk through an extra in-memory stream.)
    """
    expected = f"Bearer {api_key}".encode()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith("/v1/"):
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                response = openai_error(
                    401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
                )
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return middleware


async def _too_large(scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
    response = openai_error(
        413,
        f"The request body is larger than {max_bytes} bytes.",
        "invalid_request_error",
        "request_too_large",
    )
    await response(scope, receive, send)


def create_app(settings: ApiSettings | None = None) -> ASGIApp:
    """The ASGI application (FastAPI, wrapped in the key check and the body-size limit).

    Example::

        import uvicorn
        uvicorn.run(create_app(ApiSettings(url="http://127.0.0.1:8765")), port=1337)
    """
    settings = settings or ApiSettings()
    store = ConversationStore(settings.conversation_ttl, settings.max_conversations)
    state: dict[str, BingClient] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
        async with BingClient(
            url=settings.url,
            cookies=settings.cookies,
            proxy=settings.proxy,
            timeouts=settings.timeouts,
            retry=settings.retry,
            max_idle_connections=settings.idle_websockets,
        ) as client:
            state["client"] = client
            yield
            state.clear()

    app = FastAPI(title="g4f-bing", version=__version__, lifespan=lifespan)
    app.state.conversations = store
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        param = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        return openai_error(
            422,
            f"Invalid request: {first.get('msg', 'bad body')}",
            "invalid_request_error",
            "invalid_request",
            param,
        )

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    def model_object(model_id: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": 0, "owned_by": "g4f-bing"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [model_object(m) for m in MODELS]}

    @app.get("/v1/models/{model_id}", response_model=None)
    async def model(model_id: str) -> dict[str, Any] | JSONResponse:
        if model_id not in MODELS:
            return openai_error(
                404,
                f"The model '{model_id}' does not exist.",
                "invalid_request_error",
                "model_not_found",
                "model",
            )
        return model_object(model_id)

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatRequest) -> Response:
        try:
            return await _completion(body)
        except UnknownModel as exc:
            return openai_error(404, exc.message, "invalid_request_error", exc.code, exc.param)
        except BadRequest as exc:
            return openai_error(400, exc.message, "invalid_request_error", exc.code, exc.param)
        except errors.G4FError as exc:
            return upstream_error(exc)

    async def _completion(body: ChatRequest) -> Response:
        if len(body.messages) > settings.max_messages:
            raise BadRequest(
                f"At most {settings.max_messages} messages are accepted.", param="messages"
            )
        if body.n not in (None, 1):
            raise BadRequest("Only n=1 is supported.", param="n")
        request = CompletionRequest.build(
            [m.model_dump(exclude_none=True) for m in body.messages],
            model=body.model,
            max_tokens=body.max_tokens,
            stop=body.stop,
        )
        client = state["client"]
        if body.conversation_id is not None:
            conversation = store.get(body.conversation_id)
            if conversation is None:
                return openai_error(
                    404,
                    f"No conversation '{body.conversation_id}' (unknown or expired).",
                    "invalid_request_error",
                    "conversation_not_found",
                    "conversation_id",
                )
        else:
            conversation = await client.start_conversation(request.style)
            store.put(conversation)
        builder = ChunkBuilder(
            model=request.model,
            prompt_tokens=request.prompt.tokens,
            conversation_id=conversation.conversation_id,
        )
        parts = complete(client, request, conversation=conversation)
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
        wrapped = require_key(wrapped, settings.api_key)
    return limit_body(wrapped, settings.max_body_bytes)


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
            status, type_, code = _upstream(exc)
            yield _sse(
                {
                    "error": {
                        "message": str(exc),
                        "type": type_,
                        "param": None,
                        "code": code,
                        "status": status,
                    }
                }
            )
            return
    yield b"data: [DONE]\n\n"
