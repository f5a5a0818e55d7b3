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

import contextlib
import json
from collections.abc import AsyncGenerator, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from .. import errors
from ..engine.backend import Backend
from ..openai import CompletionRequest
from ..protocol import Event, Final, event_to_json
from .errors import error_response, failed_midway, stream_error_fields
from .schema import check_count, check_unicode
from .turns import OPTION_NAMES, TurnRunner, streamed

__all__ = ["EVENTS_PATH", "EventsRequest", "mount_events", "sse"]

EVENTS_PATH = "/v1/g4f/chat"
"""Where the event stream is served."""


class EventsRequest(BaseModel):
    """The body of ``POST /v1/g4f/chat``; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[dict[str, Any]] = Field(min_length=1)
    conversation_id: str | None = None
    g4f_search: bool = True
    g4f_files: list[str] | None = None


def sse(name: str, data: dict[str, Any]) -> bytes:
    """One named Server-Sent Event (its JSON on one ``data:`` line).

    >>> sse("text_delta", {"type": "text_delta", "text": "Hi"})
    b'event: text_delta\\ndata: {"type": "text_delta", "text": "Hi"}\\n\\n'
    """
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _error_event(exc: BaseException) -> bytes:
    return sse("error", {"type": "error", "error": stream_error_fields(exc)})


def _build(body: EventsRequest, runner: TurnRunner) -> CompletionRequest:
    check_count(body.messages, runner.max_messages)
    check_unicode(body.model_dump())
    return CompletionRequest.build(
        body.messages,
        model=body.model,
        service=runner.service,
        search=body.g4f_search,
        files=body.g4f_files or (),
        option_names=OPTION_NAMES,
    )


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
        except Exception as exc:  # the upstream's failure or a bug of ours: an error event
            yield failed_midway(exc, _error_event)


def mount_events(app: FastAPI, runner: TurnRunner, backend: Callable[[], Backend]) -> None:
    """Serve ``POST /v1/g4f/chat`` on ``app``: turns of ``backend()`` (read at each request,
    so it may be the one the app's lifespan opens), held by the app's shared ``runner`` (one
    store, one set of leases for every shape)."""

    async def start(body: EventsRequest) -> Response:
        request = _build(body, runner)
        conversation, turn = await runner.begin_events(request, backend(), body.conversation_id)
        head = {"type": "start", "conversation_id": conversation.conversation_id}
        head["model"] = request.model
        # streamed() waits for the first event under the disconnect watch: a caller gone (or
        # the server stopping) before it ends the upstream turn
        return await streamed(turn, lambda first, rest: _stream(head, first, rest))

    async def chat_events(body: EventsRequest) -> Response:
        """One turn as the engine's events (Server-Sent Events named by their ``type``); see
        :mod:`g4f.api.events`."""
        try:
            return await start(body)
        except errors.G4FError as exc:
            return error_response(exc)

    app.add_api_route(EVENTS_PATH, chat_events, methods=["POST"], response_model=None)
