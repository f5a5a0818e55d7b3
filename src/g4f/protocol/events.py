"""Typed events: what one turn of a ChatHub conversation produces, as small immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "Close",
    "Completion",
    "ErrorResult",
    "Event",
    "Final",
    "Ping",
    "ReasoningProgress",
    "Refusal",
    "Retraction",
    "SearchProgress",
    "Source",
    "Sources",
    "SuggestedReplies",
    "TextDelta",
    "Throttling",
    "TurnLimit",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A new piece of the answer text, to append to what came before."""

    text: str


@dataclass(frozen=True, slots=True)
class SearchProgress:
    """A progress line ("Searching for: …", "Generating answers for you…"); never answer text."""

    text: str
    message_type: str


@dataclass(frozen=True, slots=True)
class ReasoningProgress:
    """A summary of the model's reasoning while it thinks; never answer text."""

    text: str


@dataclass(frozen=True, slots=True)
class Source:
    """One web source the answer cites."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Sources:
    """The sources of the answer, in the service's order."""

    items: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class SuggestedReplies:
    """Replies the service suggests the user could send next."""

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Throttling:
    """The conversation's turn counter: ``used`` turns of at most ``limit``."""

    used: int
    limit: int


@dataclass(frozen=True, slots=True)
class TurnLimit:
    """The conversation reached its turn limit; start a new one for the next question.

    The answer of this turn is still delivered. ``used``/``limit`` are the turn counters when
    the service sent them.
    """

    used: int | None
    limit: int | None


@dataclass(frozen=True, slots=True)
class Retraction:
    """The service withdrew the answer it was streaming and replaced it with an apology.

    ``retracted_text`` is what had been streamed before; callers should treat it as withdrawn.
    """

    retracted_text: str
    apology: str


@dataclass(frozen=True, slots=True)
class Final:
    """The successful end of a turn.

    ``text`` is the final answer chosen by author and message type (the apology when retracted).
    """

    text: str
    retracted: bool = False
    conversation_id: str | None = None
    expiry_time: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorResult:
    """The turn ended with a non-``Success`` result; ``value`` is ``result.value``."""

    value: str
    message: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """The service declined the prompt (``Disengaged``); the connection raises
    :class:`~g4f.errors.Refused` for it."""

    text: str = ""


@dataclass(frozen=True, slots=True)
class Ping:
    """A keep-alive record (type 6)."""


@dataclass(frozen=True, slots=True)
class Close:
    """The server announced it is closing the connection (type 7)."""

    error: str | None = None
    allow_reconnect: bool = False


@dataclass(frozen=True, slots=True)
class Completion:
    """The end of an invocation (type 3), after its final record."""

    invocation_id: str | None = None
    error: str | None = None


Event: TypeAlias = (
    TextDelta
    | SearchProgress
    | ReasoningProgress
    | Refusal
    | Sources
    | SuggestedReplies
    | Throttling
    | TurnLimit
    | Retraction
    | Final
    | ErrorResult
    | Ping
    | Close
    | Completion
)
