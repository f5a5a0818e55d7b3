"""``POST /v1/g4f/chat``: one turn as a stream of the engine's own events (what the chat page
reads), next to OpenAI's ``/v1/chat/completions``.

Why an endpoint of its own rather than a flag on chat completions: OpenAI's stream has no place
for search progress, sources or suggested replies, and a flag that changed the shape of
``/v1/chat/completions`` would make the OpenAI contract depend on a field OpenAI's clients never
send. Here every event keeps its engine name and fields (:func:`g4f.protocol.event_to_json`),
so the stream is documented once, by :mod:`g4f.protocol.events`.

The request is chat completions' ``model``, ``messages`` and ``conversation_id`` (checked the
same way, images included). The answer is Server-Sent Events, each named by its ``type``::

    event: start          {"type": "start", "conversation_id": "…", "model": "…"}
    event: text_delta     {"type": "text_delta", "text": "…"}
    event: search_progress / reasoning_progress / sources / suggested_replies / throttling /
           turn_limit / retraction                        (their event_to_json fields)
    event: final          {"type": "final", "text": "…", "retracted": false, …}
    event: error          {"type": "error", "error": {"message", "type", "code", "status"}}

A failure before the first event is a plain error answer (OpenAI's shape, with its status);
after it, an ``error`` event ends the stream. A client that disconnects stops the upstream turn;
the conversation is saved and released however the turn ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import errors
from ..engine.backend import Backend
from ..openai import BadRequest, CompletionRequest
from ..protocol import Event, Final, event_to_json
from ..protocol.conversation import Conversation
from .errors import error_response, openai_error_for
from .middleware import Receive, Scope, Send, openai_error
from .settings import ApiSettings
from .store import ConversationStore, Lease, StoreUnavailable

__all__ = ["EVENTS_PATH", "EventsRequest", "mount_events", "sse"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/v1/g4f/chat"
"""Where the event stream is served."""


class EventsRequest(BaseModel):
    """The body of ``POST /v1/g4f/chat``; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[dict[str, Any]] = Field(min_length=1)
    conversation_id: str | None = None


def sse(name: str, data: dict[str, Any]) -> bytes:
    """One named Server-Sent Event (its JSON on one ``data:`` line).

    >>> sse("text_delta", {"type": "text_delta", "text": "Hi"})
    b'event: text_delta\\ndata: {"type": "text_delta", "text": "Hi"}\\n\\n'
    """
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _error_event(exc: errors.G4FError) -> bytes:
    entry = openai_error_for(exc)
    body = {"message": str(exc), "type": entry.type, "code": entry.code, "status": entry.status}
    return sse("error", {"type": "error", "error": body})


def _build(body: EventsRequest, settings: ApiSettings) -> CompletionRequest:
    if len(body.messages) > settings.http.max_messages:
        raise BadRequest(
            f"At most {settings.http.max_messages} messages are accepted.", param="messages"
        )
    try:
        json.dumps(body.messages, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            "The request contains text that is not valid Unicode (a lone surrogate).",
            param="messages",
        ) from None
    service = settings.upstream.service
    return CompletionRequest.build(body.messages, model=body.model, service=service)


class _Turns:
    """The conversation side of a turn: lease it, run it, save it, give it back."""

    def __init__(
        self, settings: ApiSettings, store: ConversationStore, backend: Callable[[], Backend]
    ) -> None:
        self.settings, self.store, self.backend = settings, store, backend
        self.lease_seconds = settings.upstream.lease_seconds

    async def lease(
        self, request: CompletionRequest, conversation_id: str | None
    ) -> tuple[Conversation, Lease] | JSONResponse:
        """The conversation to run the turn in, leased; or the answer saying why not."""
        service = self.settings.upstream.service
        if conversation_id is None:
            conversation = await self.backend().start_conversation(request.style)
            return conversation, await self.store.start(service, conversation, self.lease_seconds)
        stored, lease = await self.store.checkout(conversation_id, self.lease_seconds)
        if stored is None or stored.service != service:
            if lease is not None:
                await self.store.release(lease)
            message = f"No conversation '{conversation_id}' (unknown or expired)."
            return openai_error(
                404, message, code="conversation_not_found", param="conversation_id"
            )
        if lease is None:
            message = (
                f"The conversation '{conversation_id}' is busy with another turn; retry when it "
                "has finished."
            )
            return openai_error(
                429, message, "rate_limit_error", "conversation_busy", param="conversation_id"
            )
        return stored.conversation, lease

    async def run(
        self, request: CompletionRequest, conversation: Conversation, lease: Lease
    ) -> AsyncGenerator[Event, None]:
        """The turn's events; the conversation is saved and released however it ends (in a
        task of its own, so a cancelled caller, a disconnect, still does it)."""
        fresh = conversation.turn == 0
        events = self.backend().ask(
            request.prompt.text,
            conversation=conversation,
            style=request.style,
            context=request.prompt.context if fresh else None,
            tone=request.tone,
            images=request.prompt.images,
        )
        try:
            async with contextlib.aclosing(events):
                async for event in events:
                    yield event
        finally:
            await asyncio.shield(asyncio.ensure_future(self._save(conversation, lease)))

    async def _save(self, conversation: Conversation, lease: Lease) -> None:
        try:
            await self.store.checkin(self.settings.upstream.service, conversation, lease)
        except StoreUnavailable as exc:
            log.warning("could not save a conversation after its turn: %s", exc)


class _ClosingStream(StreamingResponse):
    """A streaming response that closes the turn whatever happens to the response (even when
    the client leaves before its body is iterated)."""

    def __init__(
        self, content: AsyncIterator[bytes], turn: AsyncGenerator[Event, None], **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self._turn = turn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._turn.aclose()


async def _stream(
    head: dict[str, Any], first: Event, turn: AsyncGenerator[Event, None]
) -> AsyncGenerator[bytes, None]:
    async with contextlib.aclosing(turn):
        yield sse("start", head) + sse(first.kind, event_to_json(first))
        if isinstance(first, Final):
            return
        try:
            async for event in turn:
                yield sse(event.kind, event_to_json(event))
        except errors.G4FError as exc:
            yield _error_event(exc)
        except Exception as exc:  # a bug of ours: the stream still ends with an error event
            log.error("internal error while streaming events", exc_info=exc)
            body = {
                "message": f"Internal error ({type(exc).__name__}); the server's log has the "
                "details.",
                "type": "server_error",
                "code": "internal_error",
                "status": 500,
            }
            yield sse("error", {"type": "error", "error": body})


def mount_events(
    app: FastAPI,
    settings: ApiSettings,
    store: ConversationStore,
    backend: Callable[[], Backend],
) -> None:
    """Serve ``POST /v1/g4f/chat`` on ``app``: turns of ``backend()`` (read at each request,
    so it may be the one the app's lifespan opens), conversations kept in ``store``."""
    turns = _Turns(settings, store, backend)

    async def start(body: EventsRequest) -> Response:
        request = _build(body, settings)
        leased = await turns.lease(request, body.conversation_id)
        if isinstance(leased, JSONResponse):
            return leased
        conversation, lease = leased
        turn = turns.run(request, conversation, lease)
        try:
            first = await anext(turn)
        except BaseException:
            await turn.aclose()
            raise
        head = {"type": "start", "conversation_id": conversation.conversation_id}
        head["model"] = request.model
        return _ClosingStream(
            _stream(head, first, turn),
            turn,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def chat_events(body: EventsRequest) -> Response:
        """One turn as the engine's events (Server-Sent Events named by their ``type``); see
        :mod:`g4f.api.events`."""
        try:
            return await start(body)
        except errors.G4FError as exc:
            return error_response(exc)

    app.add_api_route(EVENTS_PATH, chat_events, methods=["POST"], response_model=None)
