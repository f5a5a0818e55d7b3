"""``POST /v1/chat/completions``: the request → one turn of the backend → the conversation kept
in the store → the answer, whole (JSON) or streamed (server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse

from .. import errors
from ..engine.backend import Backend
from ..openai import ChunkBuilder, CompletionRequest, Part, complete
from ..openai.request import default_model
from ..protocol.conversation import Conversation
from .disconnect import CallerGone, ServerStopping, unless_disconnected
from .errors import error_response, internal_message, sse_error, stream_error
from .middleware import Receive, Scope, Send, openai_error
from .schema import ChatRequest, check_request
from .settings import ApiSettings
from .store import ConversationStore, Lease, StoreUnavailable

__all__ = ["ChatCompletions"]

log = logging.getLogger(__name__)

STOPPING_MESSAGE = "The server is stopping; send the request again (to it once it is back)."
"""What a turn cut by the server's stop is told (a 503, or the stream's last event)."""

_STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ChatCompletions:
    """The chat-completions handler of one app: its service, its store, its limits.

    Args:
        settings: the server's settings (the upstream's service and timeouts, the limits).
        store: where conversations are kept between requests.
    """

    def __init__(
        self,
        settings: ApiSettings,
        store: ConversationStore,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.stopping = stopping or asyncio.Event()
        """Set when the server begins to stop: open turns end (a stream with an error event)."""
        self._service = settings.upstream.service
        self._max_messages = settings.http.max_messages
        self._lease_seconds = settings.upstream.lease_seconds
        self._store = store

    async def answer(
        self, body: ChatRequest, backend: Backend, receive: Receive | None = None
    ) -> Response:
        """The response to ``body``, one turn of ``backend``; every failure before the answer
        began is an error response in OpenAI's shape (see :mod:`g4f.api.errors`).

        With the request's ``receive``, a caller that disconnects before the answer is whole
        (or, streamed, before its first part) stops the upstream turn at once.
        """
        try:
            if receive is None:
                return await self._answer(body, backend)
            return await unless_disconnected(receive, self._answer(body, backend), self.stopping)
        except errors.G4FError as exc:  # the request's, the store's or the upstream's failure
            return error_response(exc)
        except CallerGone:
            return openai_error(499, "The caller disconnected.", code="client_closed_request")
        except ServerStopping:
            return openai_error(503, STOPPING_MESSAGE, "server_error", "server_stopping")

    async def _answer(self, body: ChatRequest, backend: Backend) -> Response:
        check_request(body, self._max_messages)
        request = CompletionRequest.build(
            [m.model_dump(exclude_none=True) for m in body.messages],
            model=body.model or default_model(self._service),
            max_tokens=body.max_tokens,
            stop=body.stop,
            service=self._service,
        )
        held = await self._hold(body.conversation_id, request, backend)
        if isinstance(held, Response):
            return held
        conversation, lease = held
        builder = ChunkBuilder(
            model=request.model,
            prompt_tokens=request.prompt.tokens,
            conversation_id=conversation.conversation_id,
        )
        parts = _kept(
            complete(backend, request, conversation=conversation),
            functools.partial(self._save, conversation, lease),
        )
        if body.stream:
            return await _streamed(builder, parts, self.stopping)
        return await _whole(builder, parts)

    async def _hold(
        self, conversation_id: str | None, request: CompletionRequest, backend: Backend
    ) -> tuple[Conversation, Lease] | Response:
        """The conversation of the turn and its lease: the stored one ``conversation_id``
        names, or a new one; else the error response (unknown, or busy with another turn)."""
        lease: Lease | None
        if conversation_id is not None:
            stored, lease = await self._store.checkout(conversation_id, self._lease_seconds)
            if stored is None or stored.service != self._service:
                if lease is not None:
                    await self._store.release(lease)
                return openai_error(
                    404,
                    f"No conversation '{conversation_id}' (unknown or expired).",
                    code="conversation_not_found",
                    param="conversation_id",
                )
            conversation = stored.conversation
        else:
            conversation = await backend.start_conversation(request.style)
            lease = await self._store.start(self._service, conversation, self._lease_seconds)
        if lease is None:
            return openai_error(
                429,
                f"The conversation '{conversation.conversation_id}' is busy with another "
                "turn; retry when it has finished.",
                "rate_limit_error",
                "conversation_busy",
                param="conversation_id",
            )
        return conversation, lease

    async def _save(self, conversation: Conversation, lease: Lease) -> None:
        """After a turn: keep the conversation's new turn counter and give its lease back (if
        the store is unavailable now, the lease expires by itself)."""
        try:
            await self._store.checkin(self._service, conversation, lease)
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


async def _whole(builder: ChunkBuilder, parts: AsyncGenerator[Part, None]) -> Response:
    """The whole answer as one ``chat.completion`` object."""
    async with contextlib.aclosing(parts):
        collected = [part async for part in parts]
    return JSONResponse(builder.completion(collected).model_dump())


async def _streamed(
    builder: ChunkBuilder, parts: AsyncGenerator[Part, None], stopping: asyncio.Event
) -> Response:
    """The answer as server-sent events. The first part decides the status: a failure before
    any text is a plain error response."""
    try:
        first = await anext(parts)
    except BaseException:
        await parts.aclose()
        raise
    stream = _EventStream(
        _stream(builder, first, parts),
        parts,
        media_type="text/event-stream",
        headers=_STREAM_HEADERS,
    )
    stream.stopping = stopping
    return stream


class _EventStream(StreamingResponse):
    """A streaming response that closes the upstream turn whatever happens to the response,
    even when the client leaves before its body is iterated."""

    stopping: asyncio.Event | None = None
    """Set when the server begins to stop: the stream ends with an error event saying so."""

    def __init__(
        self, content: AsyncIterator[bytes], parts: AsyncGenerator[Part, None], **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self._parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Our own watch for the disconnect, not Starlette's (see g4f.api.disconnect).
        try:
            with contextlib.suppress(CallerGone, OSError):
                await unless_disconnected(receive, self.stream_response(send), self.stopping)
        except ServerStopping:
            event = sse_error(STOPPING_MESSAGE, "server_error", "server_stopping", 503)
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": event, "more_body": False})
        finally:
            await self._parts.aclose()
            body = self.body_iterator
            if isinstance(body, AsyncGenerator):
                await body.aclose()


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
                await asyncio.sleep(0)  # an upstream always ready leaves the loop its turn
        except errors.G4FError as exc:
            yield stream_error(exc)
            return
        except Exception as exc:  # a bug of ours: the stream still ends with an error event
            log.error("internal error while streaming", exc_info=exc)
            yield sse_error(internal_message(exc), "server_error", "internal_error", 500)
            return
    yield b"data: [DONE]\n\n"
