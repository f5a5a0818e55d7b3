"""Typed events: what one turn of a ChatHub conversation produces, as small immutable values.

:data:`Event` is what a turn yields (``ask()``); each of its classes names itself in JSON with
its ``kind`` (:func:`event_to_json`). The reader also produces records that never reach a caller
— :class:`Ping`, :class:`Close`, :class:`Completion`, :class:`ErrorResult`, :class:`Refusal` —
which the connection answers or turns into errors; :data:`ReaderOutput` is the union of both.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

__all__ = [
    "Close",
    "Completion",
    "ErrorResult",
    "Event",
    "Final",
    "Ping",
    "ReaderOutput",
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
    "event_to_json",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A new piece of the answer text, to append to what came before."""

    kind: ClassVar[str] = "text_delta"

    text: str


@dataclass(frozen=True, slots=True)
class SearchProgress:
    """A progress line ("Searching for: …", "Generating answers for you…"); never answer text."""

    kind: ClassVar[str] = "search_progress"

    text: str
    message_type: str


@dataclass(frozen=True, slots=True)
class ReasoningProgress:
    """A summary of the model's reasoning while it thinks; never answer text."""

    kind: ClassVar[str] = "reasoning_progress"

    text: str


@dataclass(frozen=True, slots=True)
class Source:
    """One web source the answer cites."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Sources:
    """The sources of the answer, in the service's order."""

    kind: ClassVar[str] = "sources"

    items: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class SuggestedReplies:
    """Replies the service suggests the user could send next."""

    kind: ClassVar[str] = "suggested_replies"

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Throttling:
    """The conversation's turn counter: ``used`` turns of at most ``limit``."""

    kind: ClassVar[str] = "throttling"

    used: int
    limit: int


@dataclass(frozen=True, slots=True)
class TurnLimit:
    """The conversation reached its turn limit; start a new one for the next question.

    The answer of this turn is still delivered. ``used``/``limit`` are the turn counters when
    the service sent them.
    """

    kind: ClassVar[str] = "turn_limit"

    used: int | None
    limit: int | None


@dataclass(frozen=True, slots=True)
class Retraction:
    """The service withdrew the answer it was streaming and replaced it with an apology.

    ``retracted_text`` is what had been streamed before; callers should treat it as withdrawn.
    """

    kind: ClassVar[str] = "retraction"

    retracted_text: str
    apology: str


@dataclass(frozen=True, slots=True)
class Final:
    """The successful end of a turn.

    ``text`` is the final answer chosen by author and message type (the apology when retracted).
    """

    kind: ClassVar[str] = "final"

    text: str
    retracted: bool = False
    conversation_id: str | None = None
    expiry_time: str | None = None
    answer: str | None = None
    """The answer of a turn that is not streamed, where the service says it is the final
    record's text rather than the joined deltas (Microsoft 365 Copilot); ``None``: the deltas."""

    def unstreamed(self, streamed: str) -> str:
        """The answer of a turn that is not streamed, given the joined deltas ``streamed``."""
        return streamed if self.answer is None else self.answer


@dataclass(frozen=True, slots=True)
class ErrorResult:
    """The turn ended with a non-``Success`` result; ``value`` is ``result.value``. The
    connection raises the matching error (:func:`~g4f.protocol.error_for_result`)."""

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
    """A keep-alive record (type 6); the transport answers it, it is never yielded."""


@dataclass(frozen=True, slots=True)
class Close:
    """The server announced it is closing the connection (type 7); the connection raises
    :class:`~g4f.errors.ConnectionClosed` for it during a turn."""

    error: str | None = None
    allow_reconnect: bool = False


@dataclass(frozen=True, slots=True)
class Completion:
    """The end of an invocation (type 3), after its final record (without one, the connection
    raises :class:`~g4f.errors.RequestRefused`)."""

    invocation_id: str | None = None
    error: str | None = None


Event: TypeAlias = (
    TextDelta
    | SearchProgress
    | ReasoningProgress
    | Sources
    | SuggestedReplies
    | Throttling
    | TurnLimit
    | Retraction
    | Final
)
"""What a turn yields to its caller; a ``match`` over it can be checked for completeness."""

ReaderOutput: TypeAlias = Event | Ping | Close | Completion | ErrorResult | Refusal
"""What a turn reader produces: the events, and the records the connection answers (a ping) or
turns into an error (a close, a failed result, a bare completion, a refusal)."""


def event_to_json(event: Event) -> dict[str, Any]:
    """One event as a JSON-able dict, its ``kind`` under ``"type"`` and then its fields.

    >>> event_to_json(TextDelta("Hi"))
    {'type': 'text_delta', 'text': 'Hi'}
    >>> event_to_json(Throttling(used=1, limit=30))
    {'type': 'throttling', 'used': 1, 'limit': 30}
    """
    return {"type": event.kind, **dataclasses.asdict(event)}
