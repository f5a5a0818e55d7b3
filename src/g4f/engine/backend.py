"""The turn-level seam under every surface: a :class:`Backend` starts conversations and runs
turns as async streams of the public events; :class:`Capabilities` says what it can do.

The surfaces (the seed's API, ``g4f.openai``, ``g4f api``, the CLI) talk to this and nothing
else. The ChatHub engine (:class:`g4f.engine.chathub.ChatHubClient`, parameterised by a dialect)
is one implementation; :class:`g4f.engine.fake.FakeBackend`, fed a script of events, is another,
so a surface can be tested without a socket — as httpx's ``MockTransport`` allows one level down.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from ..protocol.constants import Style
from ..protocol.conversation import Conversation
from ..protocol.events import Event, Final, TextDelta
from .images import Image

__all__ = ["Backend", "BackendBase", "Capabilities", "answer_text"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do, so that a surface refuses the rest before anything is sent.

    Attributes:
        images: a turn may carry images.
        tones: the service names its models by tone, and a turn may pick one.
        styles: the conversation style (creative, balanced, precise) changes the answer.
        stop: an answer can be stopped early with an acknowledgement (else closing stops it).
        search_toggle: web search can be switched off per turn.
        files: a turn may name documents the answer may read (SharePoint/OneDrive URLs).
    """

    images: bool = False
    tones: bool = False
    styles: bool = False
    stop: bool = False
    search_toggle: bool = False
    files: bool = False


@runtime_checkable
class Backend(Protocol):
    """A service, as the surfaces see it: conversations and turns of typed events.

    Use it as an async context manager; :meth:`aclose` releases what it holds.
    """

    @property
    def capabilities(self) -> Capabilities:
        """What this backend can do."""
        ...

    async def start_conversation(self, style: Style | str = Style.PRECISE) -> Conversation:
        """A new conversation for the turns to come."""
        ...

    def ask(
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
        """Run one turn; yield its events, ending with :class:`~g4f.protocol.Final`, or raise
        the typed :class:`~g4f.errors.G4FError` (with the text so far in ``partial_text``).

        Closing the generator early stops the turn upstream."""
        ...

    async def ask_text(
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
    ) -> str:
        """Run one turn and return the whole answer text."""
        ...

    async def check(self) -> None:
        """Check that the service answers (a readiness probe); raise why not."""
        ...

    async def aclose(self) -> None:
        """Release connections and sessions."""
        ...

    async def __aenter__(self) -> Backend:
        """The backend itself."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """:meth:`aclose`."""
        ...


async def answer_text(events: AsyncGenerator[Event, None]) -> str:
    """The whole answer of a turn's ``events``: the joined deltas, or the final event's text
    where the service says that is the answer of a turn not streamed
    (:attr:`Final.answer <g4f.protocol.Final.answer>`). The events are closed in any case."""
    parts: list[str] = []
    final: Final | None = None
    async with contextlib.aclosing(events):
        async for event in events:
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, Final):
                final = event
    streamed = "".join(parts)
    return final.unstreamed(streamed) if final is not None else streamed


class BackendBase(ABC):
    """What every :class:`Backend` implementation shares: the async context manager, and
    :meth:`ask_text` over :meth:`ask` (:func:`answer_text`)."""

    @abstractmethod
    def ask(
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
        """One turn's events (see :meth:`Backend.ask`)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections and sessions."""

    async def ask_text(
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
    ) -> str:
        """Run one turn and return its whole answer (:func:`answer_text`)."""
        events = self.ask(
            prompt,
            conversation=conversation,
            style=style,
            context=context,
            search=search,
            tone=tone,
            images=images,
            files=files,
        )
        return await answer_text(events)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
