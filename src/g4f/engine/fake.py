"""A :class:`~g4f.engine.backend.Backend` fed a script of events, for testing the surfaces
without a socket (as httpx's ``MockTransport`` is for its clients).

Example::

    backend = FakeBackend([TextDelta("Hel"), TextDelta("lo"), Final("Hello")])
    async with backend:
        assert await backend.ask_text("Hi") == "Hello"
    assert backend.asked[0].prompt == "Hi"
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from ..errors import G4FError
from ..protocol.constants import Style
from ..protocol.conversation import Conversation
from ..protocol.events import Event, Final, TextDelta
from .backend import BackendBase, Capabilities
from .images import Image

__all__ = ["FakeAsk", "FakeBackend", "Step", "echo_turn"]

Step: TypeAlias = Event | G4FError | asyncio.Event
"""One step of a scripted turn: an event to yield, an error to raise (given the text yielded
so far as ``partial_text``), or a gate to wait for (a test opens it when it is ready)."""


@dataclass(frozen=True, slots=True)
class FakeAsk:
    """What one turn was asked with."""

    prompt: str
    conversation_id: str
    style: Style | None
    context: str | None
    search: bool
    tone: str | None
    images: tuple[Image, ...]
    files: tuple[str, ...] = ()


def echo_turn(prompt: str) -> list[Step]:
    """The turn played when the script has no more: the answer ``Echo: <prompt>``."""
    text = f"Echo: {prompt}"
    return [TextDelta(text), Final(text)]


class FakeBackend(BackendBase):
    """Plays ``turns`` one per :meth:`ask`, in order; then :func:`echo_turn` for each further
    one. A turn whose generator is closed before its end counts as stopped (:attr:`stopped`).

    Args:
        *turns: each turn's steps (see :data:`Step`).
        capabilities: what the backend claims to do (all of it by default).
        check_error: what :meth:`check` raises (``None``: the backend is ready).
    """

    def __init__(
        self,
        *turns: Sequence[Step],
        capabilities: Capabilities | None = None,
        check_error: G4FError | None = None,
    ) -> None:
        self._turns = list(turns)
        self._capabilities = capabilities or Capabilities(
            images=True, tones=True, styles=True, stop=True, search_toggle=True, files=True
        )
        self._check_error = check_error
        self._ids = itertools.count(1)
        self.asked: list[FakeAsk] = []
        """Every turn asked for, in order."""
        self.stopped = 0
        """Turns closed by their caller before they ended."""
        self.closed = False
        """Whether :meth:`aclose` ran."""

    @property
    def capabilities(self) -> Capabilities:
        """What the backend claims to do."""
        return self._capabilities

    def __repr__(self) -> str:
        return f"FakeBackend(turns left={len(self._turns)}, asked={len(self.asked)})"

    async def aclose(self) -> None:
        """Nothing to release; remembered in :attr:`closed`."""
        self.closed = True

    async def check(self) -> None:
        """Raise ``check_error`` if one was given."""
        if self._check_error is not None:
            raise self._check_error

    async def start_conversation(self, style: Style | str = Style.PRECISE) -> Conversation:
        """A made-up conversation (``fake-1``, ``fake-2``, …)."""
        return Conversation(
            conversation_id=f"fake-{next(self._ids)}", client_id="fake", style=Style.parse(style)
        )

    async def ask(
        self,
        prompt: str,
        *,
        conversation: Conversation | None = None,
        style: Style | str | None = None,
        context: str | None = None,
        search: bool = True,
        tone: str | None = None,
        images: Sequence[Image] = (),
        files: Sequence[str] = (),
    ) -> AsyncGenerator[Event, None]:
        """Play the next scripted turn (see the class)."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("the prompt must be a non-empty string")
        conversation = conversation or await self.start_conversation(style or Style.PRECISE)
        chosen = Style.parse(style) if style is not None else None
        self.asked.append(
            FakeAsk(
                prompt,
                conversation.conversation_id,
                chosen,
                context,
                search,
                tone,
                tuple(images),
                tuple(files),
            )
        )
        conversation.turn += 1
        if tone is not None:
            conversation.tone = tone
        steps = self._turns.pop(0) if self._turns else echo_turn(prompt)
        finished = False
        try:
            async with contextlib.aclosing(_play(steps)) as played:  # closed with the turn
                async for event in played:
                    if isinstance(event, Final):
                        finished = True
                        conversation.answered += 1
                    yield event
        finally:
            if not finished:
                self.stopped += 1

async def _play(steps: Iterable[Step]) -> AsyncGenerator[Event, None]:
    text: list[str] = []
    for step in steps:
        if isinstance(step, asyncio.Event):
            await step.wait()
        elif isinstance(step, G4FError):
            step.partial_text = step.partial_text or "".join(text)
            raise step
        else:
            if isinstance(step, TextDelta):
                text.append(step.text)
            yield step
        await asyncio.sleep(0)  # one step at a time, as a socket would deliver them
