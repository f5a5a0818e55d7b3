"""The turn runner every API shape shares: a checked request → one turn of the backend (the
stop limiter of :func:`g4f.openai.complete`) in a conversation held under a lease in the store,
given back however the turn ends (done, failed, or its caller gone); the parts collected whole
or streamed as a response that closes the upstream turn whatever happens to it.

A shape (:mod:`g4f.api.shapes`) is a codec over this: its request → :meth:`TurnRunner.begin`;
the parts → its wire format; errors → its error table.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.responses import Response, StreamingResponse

from ..engine.backend import Backend
from ..openai import CompletionRequest, Part, complete
from ..openai.completion import turn_events
from ..protocol.conversation import Conversation
from ..protocol.events import Event
from .disconnect import (
    STOPPING_MESSAGE,
    CallerGone,
    ServerStopping,
    current_watch,
    unless_disconnected,
    watching,
)
from .errors import sse_error
from .failures import ConversationBusy, NotFound, TurnMoved
from .middleware import Receive, Scope, Send
from .settings import ApiSettings
from .store import LEASE_SECONDS, ConversationStore, Holding, Lease, Stored

__all__ = ["OPTION_NAMES", "Encoder", "Turn", "TurnRunner", "collect", "streamed"]

_T = TypeVar("_T")

OPTION_NAMES = ("g4f_search", "g4f_files")
"""The request fields of every shape that switch web grounding and pass documents (the Chat
API's): what a refusal names."""

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

Encoder = Callable[[_T, AsyncGenerator[_T, None]], AsyncIterator[bytes]]
"""A stream's encoder: the first item (a shape's part, or an engine event) and the rest → its
server-sent events (its own error event for a failure after the first item)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """A turn begun: its request, its conversation (held), and its parts — iterate them (or
    close them) and the conversation is saved and its lease given back."""

    request: CompletionRequest
    conversation: Conversation
    parts: AsyncGenerator[Part, None]


class TurnRunner:
    """Runs the turns of one app: its service, its store, its leases.

    Args:
        settings: the server's settings (the upstream's service, the message limit); every
            lease lasts :data:`~g4f.api.store.LEASE_SECONDS` unless a running turn renews it.
        store: where conversations are kept between requests.
    """

    def __init__(self, settings: ApiSettings, store: ConversationStore) -> None:
        self.service = settings.upstream.service
        self.max_messages = settings.http.max_messages
        self.store = store

    async def begin(
        self,
        request: CompletionRequest,
        backend: Backend,
        conversation_id: str | None = None,
        *,
        param: str = "conversation_id",
        expected_turn: int | None = None,
    ) -> Turn:
        """A turn of ``request`` in the stored conversation ``conversation_id`` names, or in a
        new one; :class:`NotFound` if it is unknown, :class:`ConversationBusy` if another turn
        holds it (``param``: the request's field that named it), :class:`TurnMoved` if it is
        not at ``expected_turn`` (when given) once held."""
        conversation, lease = await self.hold(
            conversation_id, request, backend, param, expected_turn
        )
        parts = _kept(
            complete(backend, request, conversation=conversation),
            self.store.holding(lease, self.service, conversation, LEASE_SECONDS),
        )
        return Turn(request, conversation, parts)

    async def begin_events(
        self, request: CompletionRequest, backend: Backend, conversation_id: str | None = None
    ) -> tuple[Conversation, AsyncGenerator[Event, None]]:
        """A turn of ``request`` as the engine's own events (no stop limiter: what the chat
        page reads), held and given back as :meth:`begin`'s parts are."""
        conversation, lease = await self.hold(conversation_id, request, backend)
        events = turn_events(backend, request, conversation)
        holding = self.store.holding(lease, self.service, conversation, LEASE_SECONDS)
        return conversation, _kept(events, holding)

    async def hold(
        self,
        conversation_id: str | None,
        request: CompletionRequest,
        backend: Backend,
        param: str = "conversation_id",
        expected_turn: int | None = None,
    ) -> tuple[Conversation, Lease]:
        """The conversation of the turn and its lease: the stored one ``conversation_id``
        names (at ``expected_turn``, when given: compared on what the checkout that takes the
        lease read, one transaction or round trip on the stores, not on an earlier read another
        turn could have overtaken), or a new one."""
        lease: Lease | None
        if conversation_id is not None:
            stored, lease = await self.store.checkout(conversation_id, LEASE_SECONDS)
            failure = _not_held(conversation_id, stored, self.service, param, expected_turn)
            if failure is not None:
                if lease is not None:
                    await self.store.release(lease)
                raise failure
            assert stored is not None  # for mypy: _not_held said it is there
            conversation = stored.conversation
        else:
            conversation = await backend.start_conversation(request.style)
            lease = await self.store.start(self.service, conversation, LEASE_SECONDS)
        if lease is None:
            raise ConversationBusy(
                f"The conversation '{conversation.conversation_id}' is busy with another "
                "turn; retry when it has finished.",
                param=param,
            )
        return conversation, lease


def _not_held(
    conversation_id: str,
    stored: Stored | None,
    service: str,
    param: str,
    expected_turn: int | None,
) -> NotFound | None:
    """Why the conversation checked out cannot have the turn: unknown (or another service's),
    or moved on past ``expected_turn``; ``None`` if it can."""
    if stored is None or stored.service != service:
        return NotFound(
            f"No conversation '{conversation_id}' (unknown or expired).",
            param=param,
            code="conversation_not_found",
        )
    if expected_turn is not None and stored.conversation.turn != expected_turn:
        return TurnMoved(
            f"The conversation '{conversation_id}' is at turn {stored.conversation.turn}, "
            f"not {expected_turn}: another turn ran since.",
            param=param,
        )
    return None


async def _kept(parts: AsyncGenerator[_T, None], holding: Holding) -> AsyncGenerator[_T, None]:
    """``parts`` with their conversation held (:meth:`ConversationStore.holding`): its lease
    renewed while they run, then the conversation saved and the lease given back however the
    turn ends — a caller cancelled while leaving (a disconnect) included."""
    async with holding, contextlib.aclosing(parts):
        async for part in parts:
            yield part
            await asyncio.sleep(0)  # an upstream always ready leaves the loop its turn


async def collect(parts: AsyncGenerator[Part, None]) -> list[Part]:
    """Every part of a turn (for a whole, non-streamed answer); a caller that disconnects, or
    the server's stop, stops the turn at once (:func:`~g4f.api.disconnect.watching`)."""

    async def every() -> list[Part]:
        return [part async for part in parts]

    async with contextlib.aclosing(parts):
        return await watching(every())


async def streamed(parts: AsyncGenerator[_T, None], encode: Encoder[_T]) -> Response:
    """The answer as server-sent events, as ``encode`` writes them. The first part (or event)
    decides the status: a failure before any text is raised here (a plain error response)."""

    async def first_part() -> _T:
        return await anext(parts)

    try:
        first = await watching(first_part())  # a caller gone before the first part stops it
    except BaseException:
        await parts.aclose()
        raise
    return EventStream(
        encode(first, parts), parts, media_type="text/event-stream", headers=STREAM_HEADERS
    )


class EventStream(StreamingResponse):
    """A streaming response that closes the upstream turn whatever happens to the response,
    even when the client leaves before its body is iterated.

    A client that disconnects is noticed by a task of our own listening on ``receive()``
    (Starlette's cancel scope never fired under uvloop for a stream whose upstream is always
    ready), which cancels the stream; this closes the upstream turn. When the server begins to
    stop, the stream ends with an error event saying so.
    """

    def __init__(
        self, content: AsyncIterator[bytes], parts: AsyncGenerator[Any, None], **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self._parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = current_watch()
        stopping = watch.stopping if watch is not None else None
        try:
            with contextlib.suppress(CallerGone, OSError):
                await unless_disconnected(receive, self.stream_response(send), stopping)
        except ServerStopping:
            event = sse_error(STOPPING_MESSAGE, "server_error", "server_stopping", 503)
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": event, "more_body": False})
        finally:
            await self._parts.aclose()
            body = self.body_iterator
            if isinstance(body, AsyncGenerator):
                await body.aclose()
