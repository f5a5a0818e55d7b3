"""Reading a Microsoft 365 Copilot turn (M365-CHATHUB.md §5): deltas and snapshots reconciled,
refusals and throttled empty answers told apart, reasoning kept out of the answer. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ...errors import InvocationRejected, RateLimited, RequestRefused, UnknownTone
from ...protocol.constants import UPDATE_TARGET, RecordType
from ...protocol.events import (
    ErrorResult,
    Final,
    ReaderOutput,
    ReasoningProgress,
    Refusal,
    SuggestedReplies,
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
_CANNED = "BotConnection"
_THREAD_RATE = (
    "opening new conversations fast (about 15–20 in ten minutes, or more than 5 in two) "
    "throttles the account, per user (a new token does not help): wait some minutes, and "
    "continue conversations instead of starting new ones"
)


_NOTICE_STARTS = (
    "i'm sorry, i'm temporarily unable to respond to this many requests",
    "temporarily unable to respond to this many requests",
    "too many requests",
)
"""How the rate-limit notices begin (§5: "before any other text")."""


def _normal(text: str) -> str:
    return text.lstrip().lower().replace("\u2019", "'")


def could_be_rate_notice(text: str) -> bool:
    """Whether ``text``, the start of an answer, could still grow into a rate-limit notice
    (so that its words are not streamed as an answer before the error they are).

    >>> could_be_rate_notice("I'm sorry, I'm tempo"), could_be_rate_notice("I'm sorry, I can")
    (True, False)
    """
    start = _normal(text)
    return any(n.startswith(start) or start.startswith(n) for n in _NOTICE_STARTS)


def is_rate_notice(text: str) -> bool:
    """Whether an answer's text is the service's rate-limit notice instead of an answer: it
    begins with one (an answer that only mentions "too many requests" later is an answer)."""
    start = _normal(text)
    return bool(start) and len(start) <= 400 and any(start.startswith(n) for n in _NOTICE_STARTS)


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

    __slots__ = (
        "_account",
        "_held",
        "_last_snapshot",
        "_reasoning_seen",
        "_released",
        "_suggested",
        "_tone",
        "_updates",
    )

    def __init__(self, *, account: str = "work") -> None:
        super().__init__()
        self._reasoning_seen: set[str] = set()
        self._tone = DEFAULT_TONE
        self._account = account
        self._updates = 0
        self._last_snapshot: str | None = None
        self._suggested: tuple[str, ...] | None = None
        self._held: list[str] = []  # the answer's first deltas, while they could be a notice
        self._released = False

    def begin(self, invocation: Mapping[str, Any]) -> None:
        """Note the turn's tone: a refused one is named in its error."""
        arguments = invocation.get("arguments")
        if isinstance(arguments, list) and arguments and isinstance(arguments[0], dict):
            tone = arguments[0].get("tone")
            self._tone = tone if isinstance(tone, str) else DEFAULT_TONE

    def read(self, record: Record) -> list[ReaderOutput]:
        """As :meth:`TurnReader.read`; a completion with an ``error`` and no answer is the
        service refusing the invocation — for a tone it does not know, :class:`UnknownTone`."""
        kind = record.get("type")
        if kind == RecordType.COMPLETION:
            self._completed(record)
        if kind == RecordType.CLOSE and not self.text and not record.get("error"):
            # An empty answer, then the close: the account is throttled (§5).
            return [ErrorResult("Throttled", f"an empty answer, then a close: {_THREAD_RATE}")]
        return self._release(super().read(record))

    def _release(self, outputs: list[ReaderOutput]) -> list[ReaderOutput]:
        """Hold the answer's first deltas back while they could be the rate-limit notice
        (which the final record turns into :class:`~g4f.errors.RateLimited`); let them go as
        one delta as soon as they cannot, or when the answer ends as an answer."""
        if self._released:
            return outputs
        released: list[ReaderOutput] = []
        for output in outputs:
            if isinstance(output, TextDelta):
                self._held.append(output.text)
                held = "".join(self._held)
                if could_be_rate_notice(held):
                    continue
                output = TextDelta(held)
                self._released, self._held = True, []
            elif isinstance(output, Final) and self._held:
                released.append(TextDelta("".join(self._held)))
                self._released, self._held = True, []
            released.append(output)
        return released

    def _completed(self, record: Record) -> None:
        """A completion without the final record: a refused tone (its ``error``), or — with
        no update at all — an invocation whose shape the service did not accept."""
        error = record.get("error")
        if isinstance(error, str):
            if self._tone not in TONES:
                raise UnknownTone(
                    f"the service refused the tone {self._tone!r} ({error}); "
                    f"known tones: {known_tones()}",
                    tone=self._tone,
                )
            raise RequestRefused(f"the service refused the turn with tone {self._tone}: {error}")
        if self._updates == 0:
            raise InvocationRejected(
                "the service ended the turn at once, without an answer: it did not accept the "
                "request's shape (Microsoft 365 Copilot changed what it expects)"
            )

    def _fast_update(self, record: Record) -> list[ReaderOutput] | None:
        return None  # the updates here have other shapes than Bing's common one

    def _read_update(self, record: Record) -> list[ReaderOutput]:
        if record.get("target") != UPDATE_TARGET:
            return []  # Metrics echoes and other targets carry no answer
        self._updates += 1
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
            return self._snapshot(message, record)
        if kind in _PROGRESS_TYPES:
            if message.get("contentOrigin") == _REASONING:
                return self._reasoning(message, record)
            return self._progress(message, str(kind), record)
        return []  # ReferencesListComplete, EndOfRequest, Suggestion, GeneratedCode, …

    def _snapshot(self, message: dict[str, Any], record: Record) -> list[ReaderOutput]:
        """A cumulative snapshot of the answer: what extends the text so far, and the
        suggestions it carries (once)."""
        self._check_canned(message)
        text = optional_str(message.get("text"), record, "message text")
        if text is None:
            text = card_text(message, "TextBlock")
        message_id = optional_str(message.get("messageId"), record, "messageId")
        if self._message_id is None and self._message_text:
            self._message_id = message_id  # the snapshot of the message the deltas built
        if text:
            self._last_snapshot = text
        delta = self._advance(message_id, text)
        events: list[ReaderOutput] = [delta] if delta is not None else []
        replies = self._suggestions(message, record)
        if replies is not None:
            events.append(replies)
        return events

    def _suggestions(self, message: dict[str, Any], record: Record) -> SuggestedReplies | None:
        """The message's suggested replies, unless already given."""
        offered = dict_list(message.get("suggestedResponses"), record, "suggestedResponses")
        items = tuple(
            str(s.get("text") or s.get("commandText"))
            for s in offered
            if s.get("text") or s.get("commandText")
        )
        if not items or items == self._suggested:
            return None
        self._suggested = items
        return SuggestedReplies(items)

    def _check_canned(self, message: dict[str, Any]) -> None:
        """A canned reply (``contentOrigin: BotConnection``): the tone is registered but does
        not answer for this account (§3)."""
        if message.get("contentOrigin") == _CANNED:
            raise UnknownTone(
                f"the tone {self._tone!r} is not available for this account ({self._account}): "
                f"the service answered with its canned reply; choose another tone "
                f"(known: {known_tones()})",
                tone=self._tone,
            )

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
                if isinstance(message, dict) and _is_answer(message):
                    self._check_canned(message)
        if not isinstance(item, dict) or not isinstance(item.get("result"), dict):
            return self._echo_final(item, record)  # no result: the turn succeeded
        events = [
            e
            for e in super()._read_final(record)
            if not (isinstance(e, SuggestedReplies) and e.items == self._suggested)
        ]
        final = events[-1] if events else None
        if not isinstance(final, Final):
            return events
        return [*events[:-1], *self._checked(final)]

    def _echo_final(self, item: Any, record: Record) -> list[ReaderOutput]:
        """A final record without ``result`` (the user's message echoed, §5): the turn
        succeeded, and its answer is the last snapshot (else the deltas)."""
        item = item if isinstance(item, dict) else {}
        throttling = self._read_throttling(item, record)
        answer = self._last_snapshot if self._last_snapshot is not None else self.text
        events: list[ReaderOutput] = [throttling] if throttling is not None else []
        final = Final(
            text=answer,
            conversation_id=optional_str(item.get("conversationId"), record, "conversationId"),
            expiry_time=optional_str(
                item.get("conversationExpiryTime"), record, "conversationExpiryTime"
            ),
            answer=answer,
        )
        return [*events, *self._checked(final)]

    def _checked(self, final: Final) -> list[ReaderOutput]:
        """The final event, with the final record's text as the answer of a turn not
        streamed; or the throttling it really is (an empty answer, a rate-limit notice)."""
        if is_rate_notice(final.text):
            raise RateLimited(
                "the service answered with its rate-limit notice instead of an answer: "
                + _THREAD_RATE,
                result_value="Throttled",
            )
        if not final.text.strip() and self._throttling is not None:
            used, limit = self._throttling.used, self._throttling.limit
            return [
                ErrorResult(
                    "Throttled",
                    f"an empty answer ({used} of {limit} messages in this conversation): "
                    f"the account is being throttled; {_THREAD_RATE}",
                )
            ]
        if final.answer is None:
            final = dataclasses.replace(final, answer=final.text)
        return [final]
