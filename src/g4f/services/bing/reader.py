"""Reading a turn: the server's records in, typed events out.

Pure: no I/O. :class:`TurnReader` keeps the state one turn needs — which answer message is
streaming, how much of its cumulative text was already emitted, what progress lines were shown,
whether the answer was retracted — and turns each record into zero or more events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ...errors import G4FError, ProtocolError, truncate
from ...protocol.constants import UPDATE_TARGET, RecordType
from ...protocol.events import (
    Close,
    Completion,
    ErrorResult,
    Final,
    Ping,
    ReaderOutput,
    Retraction,
    SearchProgress,
    Source,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
    TurnLimit,
)
from ...protocol.framing import Record
from .constants import ContentOrigin, ResultValue
from .results import error_for_result

__all__ = [
    "MESSAGE_SEPARATOR",
    "TurnReader",
    "answer_message",
    "card_text",
    "dict_list",
    "malformed",
    "optional_str",
    "throttling_of",
]

_INVOCATION = int(RecordType.INVOCATION)
_SPECIAL_ORIGINS = frozenset(o.value for o in ContentOrigin)

MESSAGE_SEPARATOR = "\n\n"
"""Put between two answer messages of one turn (e.g. before and after a search step)."""


def _describe(record: Record) -> str:
    try:
        return truncate(json.dumps(record, ensure_ascii=False, default=str))
    except (RecursionError, ValueError):
        return "(a record nested too deeply to show)"


def malformed(record: Record, why: str) -> ProtocolError:
    """The error for a record that breaks the protocol, describing the record."""
    return ProtocolError(f"malformed record ({why}): {_describe(record)}")


def optional_str(value: Any, record: Record, name: str) -> str | None:
    """``value`` if it is a string or ``None``; else the record is malformed."""
    if value is None or isinstance(value, str):
        return value
    raise malformed(record, f"{name} is not a string")


def dict_list(value: Any, record: Record, name: str) -> list[dict[str, Any]]:
    """``value`` as a list of objects (``None`` is empty); else the record is malformed."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise malformed(record, f"{name} is not a list of objects")
    return value


def card_text(message: dict[str, Any], *kinds: str) -> str | None:
    """The text of the first card element of one of ``kinds`` (by type, never by index).

    A ``RichTextBlock`` yields the text of its inlines.
    """
    cards = message.get("adaptiveCards")
    if not isinstance(cards, list):
        return None
    for card in cards:
        body = card.get("body") if isinstance(card, dict) else None
        if not isinstance(body, list):
            continue
        for element in body:
            if not isinstance(element, dict) or element.get("type") not in kinds:
                continue
            if element.get("type") == "RichTextBlock":
                inlines = element.get("inlines")
                if isinstance(inlines, list):
                    parts = [i.get("text") for i in inlines if isinstance(i, dict)]
                    return "".join(p for p in parts if isinstance(p, str)) or None
            text = element.get("text")
            if isinstance(text, str):
                return text
    return None


def _answer_text(message: dict[str, Any], record: Record) -> str | None:
    text = optional_str(message.get("text"), record, "message text")
    return text if text is not None else card_text(message, "TextBlock")


def _is_answer(message: dict[str, Any]) -> bool:
    return message.get("author") == "bot" and not message.get("messageType")


def answer_message(messages: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The turn's answer: the last bot message without a ``messageType`` (chosen by author)."""
    found = None
    for message in messages:
        if _is_answer(message):
            found = message
    return found


def throttling_of(value: Any, record: Record) -> Throttling | None:
    """A throttling object's counters as an event (``None`` when absent)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise malformed(record, "throttling is not an object")
    used = value.get("numUserMessagesInConversation")
    limit = value.get("maxNumUserMessagesInConversation")
    if not isinstance(used, int) or not isinstance(limit, int):
        raise malformed(record, "throttling lacks its counters")
    return Throttling(used=used, limit=limit)


class TurnReader:
    """Turns the records of one turn into events, tracking the cumulative answer text.

    Deltas are computed by prefix: an update whose text extends what was emitted for the same
    message yields the extension; work is linear in the text received, and repeated substrings
    are handled correctly. Text that does not extend what was emitted (a rewrite) yields nothing
    until the final record, whose authoritative text completes the stream where it can.

    >>> reader = TurnReader()
    >>> update = {"type": 1, "target": "update", "arguments": [{"messages": [
    ...     {"author": "bot", "messageId": "m", "text": "Hello"}]}]}
    >>> reader.read(update)
    [TextDelta(text='Hello')]
    """

    __slots__ = (
        "_limit_reached",
        "_message_id",
        "_message_parts",
        "_pieces",
        "_progress_seen",
        "_retracted",
        "_throttling",
    )

    def __init__(self) -> None:
        self._pieces: list[str] = []  # the answer text emitted so far, joined on demand
        self._message_id: str | None = None
        # The streaming message's text, in pieces joined only when it is compared: appending
        # a delta to one string would copy the whole message per delta (quadratic).
        self._message_parts: list[str] = []
        self._progress_seen: set[tuple[str | None, str]] = set()
        self._retracted = False
        self._throttling: Throttling | None = None
        self._limit_reached = False

    def begin(self, invocation: Mapping[str, Any]) -> None:
        """Called with the invocation that starts the turn, before any record is read (a
        service's reader may need what was asked; Bing's does not)."""

    @property
    def _message_text(self) -> str:
        """The streaming message's text so far (its pieces joined once, then kept joined)."""
        parts = self._message_parts
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    def _append_piece(self, piece: str) -> TextDelta:
        """Add ``piece`` to the streaming message and the answer, without copying either."""
        self._message_parts.append(piece)
        self._pieces.append(piece)
        return TextDelta(piece)

    @property
    def text(self) -> str:
        """All answer text emitted so far (the partial answer if the turn fails now)."""
        if len(self._pieces) > 1:
            self._pieces = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def error_for(self, value: str, message: str) -> G4FError:
        """The typed error for a turn that ended with result ``value`` (Bing's table)."""
        return error_for_result(value, message)

    @property
    def retracted(self) -> bool:
        """Whether the service retracted the answer."""
        return self._retracted

    def read(self, record: Record) -> list[ReaderOutput]:
        """Return the events ``record`` produces (possibly none)."""
        kind = record.get("type")
        if kind == _INVOCATION:
            fast = self._fast_update(record)
            return fast if fast is not None else self._read_update(record)
        if kind == RecordType.STREAM_ITEM:
            return self._read_final(record)
        if kind == RecordType.COMPLETION:
            return [
                Completion(
                    invocation_id=optional_str(record.get("invocationId"), record, "invocationId"),
                    error=optional_str(record.get("error"), record, "error"),
                )
            ]
        if kind == RecordType.PING:
            return [Ping()]
        if kind == RecordType.CLOSE:
            return [
                Close(
                    error=optional_str(record.get("error"), record, "error"),
                    allow_reconnect=bool(record.get("allowReconnect", False)),
                )
            ]
        if not isinstance(kind, int) or isinstance(kind, bool):
            raise malformed(record, "no integer type")
        return []  # a record type this client does not use

    # -- type 1 ------------------------------------------------------------------------------

    def _fast_update(self, record: Record) -> list[ReaderOutput] | None:
        """The common update — one bot answer message extending the one streaming — read in
        few steps (it is most of the records of a turn); ``None`` for anything else."""
        arguments = record.get("arguments")
        if record.get("target") != "update" or type(arguments) is not list or len(arguments) != 1:
            return None
        argument = arguments[0]
        if type(argument) is not dict or "throttling" in argument:
            return None
        messages = argument.get("messages")
        if type(messages) is not list or len(messages) != 1:
            return None
        message = messages[0]
        if (
            type(message) is not dict
            or message.get("author") != "bot"
            or message.get("messageType")
            or type(message.get("contentOrigin", "")) is not str
            or message.get("contentOrigin") in _SPECIAL_ORIGINS
            or self._retracted
            or message.get("messageId") != self._message_id
        ):
            return None
        text = message.get("text")
        if type(text) is not str:
            return None
        delta = self._extend(text)
        return [delta] if delta is not None else []

    def _read_update(self, record: Record) -> list[ReaderOutput]:
        if record.get("target") != UPDATE_TARGET:
            return []
        arguments = dict_list(record.get("arguments"), record, "arguments")
        events: list[ReaderOutput] = []
        for argument in arguments:
            for message in dict_list(argument.get("messages"), record, "messages"):
                events.extend(self._read_message(message, record))
            throttling = throttling_of(argument.get("throttling"), record)
            if throttling is not None:
                self._throttling = throttling
                events.append(throttling)
        return events

    def _read_message(self, message: dict[str, Any], record: Record) -> list[ReaderOutput]:
        if message.get("author") != "bot":
            return []
        message_type = message.get("messageType")
        if message_type:
            return self._progress(message, str(message_type), record)
        origin = message.get("contentOrigin")
        text = _answer_text(message, record)
        if origin == ContentOrigin.APOLOGY:
            return self._retract(text or "")
        if origin == ContentOrigin.TURN_LIMITER:
            self._limit_reached = True  # reported with the final record's counters
        message_id = optional_str(message.get("messageId"), record, "messageId")
        delta = self._advance(message_id, text)
        return [delta] if delta is not None else []

    def _progress(
        self, message: dict[str, Any], message_type: str, record: Record
    ) -> list[ReaderOutput]:
        text = card_text(message, "RichTextBlock", "TextBlock") or optional_str(
            message.get("text"), record, "message text"
        )
        if not text:
            return []
        key = (optional_str(message.get("messageId"), record, "messageId"), text)
        if key in self._progress_seen:
            return []
        self._progress_seen.add(key)
        return [SearchProgress(text=text, message_type=message_type)]

    def _advance(self, message_id: str | None, text: str | None) -> TextDelta | None:
        """Emit what ``text`` adds to the answer message ``message_id``, if anything."""
        if self._retracted or not text:
            return None
        separator = ""
        if message_id != self._message_id:
            if self._message_id is not None and self._message_parts:
                separator = MESSAGE_SEPARATOR
            self._message_id = message_id
            self._message_parts = []
        return self._extend(text, separator)

    def _extend(self, text: str, separator: str = "") -> TextDelta | None:
        """Emit what the cumulative ``text`` adds to the streaming message, if it extends it."""
        emitted = self._message_text
        if len(text) <= len(emitted) or not text.startswith(emitted):
            return None
        piece = separator + text[len(emitted) :]
        self._message_parts = [text]
        self._pieces.append(piece)
        return TextDelta(piece)

    def _retract(self, apology: str) -> list[ReaderOutput]:
        if self._retracted:
            return []
        self._retracted = True
        return [Retraction(retracted_text=self.text, apology=apology)]

    # -- type 2 ------------------------------------------------------------------------------

    def _read_final(self, record: Record) -> list[ReaderOutput]:
        item = record.get("item")
        if not isinstance(item, dict):
            raise malformed(record, "final record without item")
        result = item.get("result")
        if not isinstance(result, dict):
            raise malformed(record, "final record without result")
        value = optional_str(result.get("value"), record, "result.value")
        message = optional_str(result.get("message"), record, "result.message") or ""
        if value != ResultValue.SUCCESS:
            error = result.get("error")
            return [
                ErrorResult(
                    value=value or "Unknown",
                    message=message,
                    error=None if error is None else str(error),
                )
            ]
        messages = dict_list(item.get("messages"), record, "messages")
        answer = self._answer(messages)
        events: list[ReaderOutput] = []
        answer_text = _answer_text(answer, record) if answer is not None else None
        if answer is not None and answer.get("contentOrigin") == ContentOrigin.APOLOGY:
            events.extend(self._retract(answer_text or ""))
        final_text = answer_text if answer_text is not None else (message or self.text)
        # The final record's authoritative text completes the streaming message.
        delta = None if self._retracted else self._extend(final_text)
        if delta is not None:
            events.append(delta)
        if answer is not None:
            events.extend(self._extras(answer, record))
        throttling = throttling_of(item.get("throttling"), record)
        if throttling is not None:
            self._throttling = throttling
            events.append(throttling)
        if answer is not None and answer.get("contentOrigin") == ContentOrigin.TURN_LIMITER:
            self._limit_reached = True
        if throttling is not None and throttling.used >= throttling.limit:
            self._limit_reached = True
        if self._limit_reached:
            events.append(
                TurnLimit(
                    used=self._throttling.used if self._throttling else None,
                    limit=self._throttling.limit if self._throttling else None,
                )
            )
        events.append(
            Final(
                text=final_text,
                retracted=self._retracted,
                conversation_id=optional_str(item.get("conversationId"), record, "conversationId"),
                expiry_time=optional_str(
                    item.get("conversationExpiryTime"), record, "conversationExpiryTime"
                ),
            )
        )
        return events

    def _answer(self, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The turn's answer among a final record's messages."""
        return answer_message(messages)

    def _extras(self, answer: dict[str, Any], record: Record) -> list[ReaderOutput]:
        events: list[ReaderOutput] = []
        sources = tuple(
            Source(
                title=str(s.get("providerDisplayName") or s.get("seeMoreUrl") or ""),
                url=str(s.get("seeMoreUrl") or ""),
            )
            for s in dict_list(answer.get("sourceAttributions"), record, "sourceAttributions")
            if s.get("seeMoreUrl")
        )
        if sources:
            events.append(Sources(sources))
        replies = tuple(
            str(r["text"])
            for r in dict_list(answer.get("suggestedResponses"), record, "suggestedResponses")
            if isinstance(r.get("text"), str)
        )
        if replies:
            events.append(SuggestedReplies(replies))
        return events
