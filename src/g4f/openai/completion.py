"""Running one OpenAI-style completion over a :class:`~g4f.engine.backend.Backend`: its turn's
events in, text parts out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.backend import Backend
from ..errors import Refused
from ..protocol import Event, Final, Retraction, TextDelta
from ..protocol.conversation import Conversation
from .limits import FinishReason, StopLimiter
from .request import CompletionRequest

__all__ = ["Part", "complete", "turn_events", "whole_text"]


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a completion: text, or the end with its finish reason (and the stop sequence
    that ended it, if one did)."""

    text: str = ""
    finish_reason: FinishReason | None = None
    apology: str | None = None
    stop_sequence: str | None = None
    answer: str | None = None
    """On the last part: the answer of a completion that is not streamed, when the service
    says it is the final record's text (:attr:`~g4f.protocol.Final.answer`); ``None``: the
    parts' text."""


def whole_text(parts: Sequence[Part]) -> str:
    """The text of a whole (not streamed) answer made of ``parts``: the final record's answer
    when the service gave one, else the parts' text joined; for an answer the service withdrew
    (``content_filter``), its apology when it sent one — a retraction, never the withdrawn text
    restored."""
    last = parts[-1] if parts else Part()
    if last.finish_reason == "content_filter" and last.apology:
        return last.apology
    return last.answer if last.answer is not None else "".join(p.text for p in parts)


def turn_events(
    client: Backend, request: CompletionRequest, conversation: Conversation | None = None
) -> AsyncGenerator[Event, None]:
    """The engine's events of one turn for ``request``: a new conversation gets the earlier
    messages folded into its context; one that already has turns only the last message (the
    server keeps its history)."""
    fresh = conversation is None or conversation.turn == 0
    more: dict[str, Any] = {"files": request.files} if request.files else {}
    return client.ask(
        request.prompt.text,
        conversation=conversation,
        style=request.style,
        context=request.prompt.context if fresh else None,
        search=request.search,
        tone=request.tone,
        images=request.prompt.images,
        **more,
    )


async def complete(
    client: Backend,
    request: CompletionRequest,
    *,
    conversation: Conversation | None = None,
) -> AsyncGenerator[Part, None]:
    """Run one turn for ``request``; the last part has the finish reason.

    A new conversation gets the earlier messages folded into its context; a conversation that
    already has turns gets only the last message: the server keeps its history.
    Upstream failures raise :class:`~g4f.errors.G4FError`, but for a declined prompt
    (:class:`~g4f.errors.Refused`), which ends with ``content_filter`` as a retraction does. The
    upstream turn is closed as soon as a limit ends the answer or the caller stops iterating.
    """
    limiter = StopLimiter(request.max_tokens, request.stop)
    parts = _parts(turn_events(client, request, conversation), limiter)
    try:
        async with contextlib.aclosing(parts):  # a caller that stops closes the upstream turn
            async for part in parts:
                yield part
    except Refused:
        # The service declined the prompt: what streamed before stays, ended as filtered.
        yield Part(finish_reason="content_filter")


async def _parts(
    events: AsyncGenerator[Event, None], limiter: StopLimiter
) -> AsyncGenerator[Part, None]:
    async with contextlib.aclosing(events):
        async for event in events:
            if isinstance(event, TextDelta):
                text = limiter.feed(event.text)
                if text:
                    yield Part(text)
                if limiter.finish_reason is not None:
                    yield Part(
                        finish_reason=limiter.finish_reason, stop_sequence=limiter.stop_sequence
                    )
                    return
            elif isinstance(event, Retraction):
                yield Part(finish_reason="content_filter", apology=event.apology)
                return
            elif isinstance(event, Final):
                tail = limiter.flush()
                if tail:
                    yield Part(tail)
                unlimited = limiter.max_chars is None and not limiter.stop
                answer = event.answer if unlimited else None  # limits apply to what streamed
                yield Part(finish_reason=limiter.finish_reason or "stop", answer=answer)
                return
