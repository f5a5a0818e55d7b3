"""Reading a Microsoft 365 Copilot turn (M365-CHATHUB.md §5): deltas and snapshots reconciled,
refusals and throttled empty answers told apart, reasoning kept out of the answer. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import RequestRefused, UnknownTone
from ...protocol.constants import UPDATE_TARGET, RecordType
from ...protocol.events import (
    ErrorResult,
    Final,
    ReaderOutput,
    ReasoningProgress,
    Refusal,
    TextDelta,
    Throttling,
)
from ...protocol.framing import Record
from ..bing.reader import (
    TurnReader,
    card_text,
    dict_list,
    malformed,
    optional_str,
    throttling_of,
)
from .tones import DEFAULT_TONE, TONES, known_tones

__all__ = ["M365TurnReader"]

_ANSWER_TYPES = (None, "", "Chat")
_PROGRESS_TYPES = frozenset({"Progress", "InternalSearchQuery", "InternalLoaderMessage"})
_DISENGAGED = "Disengaged"
_REASONING = "ChainOfThoughtSummary"


def _is_answer(message: dict[str, Any]) -> bool:
    return message.get("author") == "bot" and message.get("messageType") in _ANSWER_TYPES


class M365TurnReader(TurnReader):
    """Turns a Microsoft 365 Copilot turn's records into the same events as Bing's.

    The answer streams as ``writeAtCursor`` deltas and as cumulative snapshots of the message;
    both describe one text, so nothing is shown twice or lost: a delta is appended, a snapshot
    adds only what extends the text so far, and one the text already holds adds nothing. The
    final record is authoritative for ``Final.text`` (its markup may differ from the deltas).

    >>> reader = M365TurnReader()
    >>> delta = {"type": 1, "target": "update", "arguments": [{"writeAtCursor": "Hel"}]}
    >>> snapshot = {"type": 1, "target": "update", "arguments": [{"messages": [
    ...     {"author": "bot", "messageId": "m", "text": "Hello"}]}]}
    >>> reader.read(delta) + reader.read(snapshot) + reader.read(snapshot)
    [TextDelta(text='Hel'), TextDelta(text='lo')]
    """

    __slots__ = ("_reasoning_seen", "_tone")

    def __init__(self) -> None:
        super().__init__()
        self._reasoning_seen: set[str] = set()
        self._tone = DEFAULT_TONE

    def begin(self, invocation: Mapping[str, Any]) -> None:
        """Note the turn's tone: a refused one is named in its error."""
        arguments = invocation.get("arguments")
        if isinstance(arguments, list) and arguments and isinstance(arguments[0], dict):
            tone = arguments[0].get("tone")
            self._tone = tone if isinstance(tone, str) else DEFAULT_TONE

    def read(self, record: Record) -> list[ReaderOutput]:
        """As :meth:`TurnReader.read`; a completion with an ``error`` and no answer is the
        service refusing the invocation — for a tone it does not know, :class:`UnknownTone`."""
        if record.get("type") == RecordType.COMPLETION and isinstance(record.get("error"), str):
            error = record["error"]
            if self._tone not in TONES:
                raise UnknownTone(
                    f"the service refused the tone {self._tone!r} ({error}); "
                    f"known tones: {known_tones()}",
                    tone=self._tone,
                )
            raise RequestRefused(f"the service refused the turn with tone {self._tone}: {error}")
        return super().read(record)

    def _fast_update(self, record: Record) -> list[ReaderOutput] | None:
        return None  # the updates here have other shapes than Bing's common one

    def _read_update(self, record: Record) -> list[ReaderOutput]:
        if record.get("target") != UPDATE_TARGET:
            return []  # Metrics echoes and other targets carry no answer
        events: list[ReaderOutput] = []
        for argument in dict_list(record.get("arguments"), record, "arguments"):
            piece = argument.get("writeAtCursor")
            if piece is not None:
                if not isinstance(piece, str):
                    raise malformed(record, "writeAtCursor is not a string")
                delta = self._append(piece)
                if delta is not None:
                    events.append(delta)
            for message in dict_list(argument.get("messages"), record, "messages"):
                events.extend(self._read_message(message, record))
            throttling = self._read_throttling(argument, record)
            if throttling is not None:
                events.append(throttling)
        return events  # cursor and patches are informational

    def _read_throttling(self, argument: dict[str, Any], record: Record) -> Throttling | None:
        throttling = throttling_of(argument.get("throttling"), record)
        if throttling is not None:
            self._throttling = throttling
        return throttling

    def _read_message(self, message: dict[str, Any], record: Record) -> list[ReaderOutput]:
        if message.get("author") != "bot":
            return []
        kind = message.get("messageType")
        if kind == _DISENGAGED:
            return [Refusal(optional_str(message.get("hiddenText"), record, "hiddenText") or "")]
        if kind in _ANSWER_TYPES:
            text = optional_str(message.get("text"), record, "message text")
            if text is None:
                text = card_text(message, "TextBlock")
            message_id = optional_str(message.get("messageId"), record, "messageId")
            if self._message_id is None and self._message_parts:
                self._message_id = message_id  # the snapshot of the message the deltas built
            delta = self._advance(message_id, text)
            return [delta] if delta is not None else []
        if kind in _PROGRESS_TYPES:
            if message.get("contentOrigin") == _REASONING:
                return self._reasoning(message, record)
            return self._progress(message, str(kind), record)
        return []  # ReferencesListComplete, EndOfRequest, Suggestion, GeneratedCode, …

    def _reasoning(self, message: dict[str, Any], record: Record) -> list[ReaderOutput]:
        text = card_text(message, "RichTextBlock", "TextBlock") or optional_str(
            message.get("text"), record, "message text"
        )
        if not text or text in self._reasoning_seen:
            return []
        self._reasoning_seen.add(text)
        return [ReasoningProgress(text)]

    def _append(self, piece: str) -> TextDelta | None:
        """A ``writeAtCursor`` delta: appended to the message being streamed."""
        if self._retracted or not piece:
            return None
        return self._append_piece(piece)

    def _answer(self, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
        found = None
        for message in messages:
            if _is_answer(message):
                found = message
        return found

    def _read_final(self, record: Record) -> list[ReaderOutput]:
        item = record.get("item")
        messages = item.get("messages") if isinstance(item, dict) else None
        if isinstance(messages, list):
            for message in messages:
                if isinstance(message, dict) and message.get("messageType") == _DISENGAGED:
                    return self._read_message(message, record)
        events = super()._read_final(record)
        final = events[-1] if events else None
        if isinstance(final, Final) and not final.text.strip() and self._throttling is not None:
            # An empty answer with the conversation's counter: the account is being throttled.
            used, limit = self._throttling.used, self._throttling.limit
            return [
                ErrorResult(
                    "Throttled",
                    f"an empty answer ({used} of {limit} messages): the account is being "
                    "throttled; wait some minutes",
                )
            ]
        return events
