"""Reading the Chat API's answers (M365-CHAT-API.md §3–4): conversation snapshots in, the
public events out. Pure: fed parsed JSON text, no I/O.

Each streamed event is a whole conversation, never a delta. The reader streams what extends the
text shown so far, never showing a character twice; a snapshot that rewrites the text (markup
resolved) streams nothing of the rewritten part, and from then on each snapshot's extension of
the one before it. The last snapshot's text is the final answer. ``citation`` attributions (and
Work IQ's cited ``references``) become :class:`~g4f.protocol.Sources`;
``state: disengagedForRai`` is :class:`~g4f.errors.Refused`. Unknown states and fields are
tolerated (the enums evolve).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ProtocolError, Refused
from ...protocol.events import Event, Final, Source, Sources, TextDelta
from ...protocol.framing import load_json
from .spec import INTERMEDIATE, REFUSED_STATE

__all__ = ["SnapshotReader", "answer_of", "sources_of"]

_ADVICE = "the server does not speak the Chat API as expected; check the endpoint URL"


def _text(message: Any) -> str | None:
    text = message.get("text") if isinstance(message, Mapping) else None
    return text if isinstance(text, str) else None


def answer_of(snapshot: Mapping[str, Any], prompt: str) -> tuple[str | None, Mapping[str, Any]]:
    """The answer text of a conversation snapshot (``None`` when it has none yet) and its
    message: the last message, unless the only one is the user's echo of ``prompt``."""
    messages = snapshot.get("messages")
    if not isinstance(messages, list) or not messages:
        return None, {}
    last = messages[-1]
    if not isinstance(last, Mapping):
        return None, {}
    intermediate = snapshot.get("displayName") == INTERMEDIATE
    if len(messages) == 1 and not intermediate and _text(last) == prompt:
        return None, {}
    return _text(last), last


def sources_of(message: Mapping[str, Any]) -> tuple[Source, ...]:
    """The sources an answer cites: its ``citation`` attributions, then Work IQ's cited
    ``references``, without repeats."""
    found: list[Source] = []
    attributions = message.get("attributions")
    for item in attributions if isinstance(attributions, list) else ():
        if isinstance(item, Mapping) and item.get("attributionType") == "citation":
            url = item.get("seeMoreWebUrl")
            title = item.get("providerDisplayName")
            if isinstance(url, str) and url:
                found.append(Source(title if isinstance(title, str) and title else url, url))
    references = message.get("references")
    for key, item in references.items() if isinstance(references, Mapping) else ():
        if isinstance(item, Mapping) and item.get("isCitedInResponse") is not False:
            url = item.get("targetLink")
            if isinstance(url, str) and url:
                found.append(Source(str(key), url))
    return tuple(dict.fromkeys(found))


class SnapshotReader:
    """One turn's snapshots → :class:`TextDelta` events, then :meth:`finish`'s ``Sources`` and
    :class:`Final`.

    Args:
        prompt: the turn's prompt (to tell the user's echo from the answer).
    """

    def __init__(self, prompt: str) -> None:
        self.prompt = prompt
        self.shown = ""
        """The text streamed so far (the deltas joined)."""
        self.text = ""
        """The last snapshot's answer text: the final answer once the stream ends."""
        self.conversation_id: str | None = None
        self.turn_count: int | None = None
        self._rewritten = False
        self._message: Mapping[str, Any] = {}

    def feed(self, data: str) -> list[Event]:
        """The deltas of one event's data (a JSON conversation); an empty event gives none."""
        try:
            snapshot = load_json(data)
        except ValueError:
            raise ProtocolError("an event of the stream is not JSON", advice=_ADVICE) from None
        if not isinstance(snapshot, Mapping):
            raise ProtocolError("an event of the stream is not a conversation", advice=_ADVICE)
        return self.feed_snapshot(snapshot)

    def feed_snapshot(self, snapshot: Mapping[str, Any]) -> list[Event]:
        """The deltas of one parsed snapshot."""
        conversation_id = snapshot.get("id")
        if isinstance(conversation_id, str) and conversation_id:
            self.conversation_id = conversation_id
        count = snapshot.get("turnCount")
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            self.turn_count = count
        text, message = answer_of(snapshot, self.prompt)
        if snapshot.get("state") == REFUSED_STATE:
            raise Refused(
                text or "the service declined this prompt (disengagedForRai)",
                result_value=REFUSED_STATE,
                partial_text=self.shown,
            )
        if text is None:
            return []
        self._message = message
        return self._extend(text)

    def _extend(self, text: str) -> list[Event]:
        previous, self.text = self.text, text
        if not self._rewritten and text.startswith(self.shown):
            delta = text[len(self.shown) :]
        elif not self._rewritten:
            self._rewritten = True  # markup rewritten: never repeat what was shown
            delta = ""
        else:
            delta = text[len(previous) :] if text.startswith(previous) else ""
        if not delta:
            return []
        self.shown += delta
        return [TextDelta(delta)]

    def finish(self) -> list[Event]:
        """The stream ended: the answer's sources, if any, then :class:`Final` with the last
        snapshot's text (``""`` when no snapshot had any)."""
        events: list[Event] = []
        sources = sources_of(self._message)
        if sources:
            events.append(Sources(sources))
        # The last event's text is the answer of a turn not streamed (§4).
        events.append(Final(self.text, conversation_id=self.conversation_id, answer=self.text))
        return events
