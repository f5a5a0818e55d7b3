"""Microsoft 365 Copilot's Chathub (M365-CHATHUB.md) on the service seam: a bearer token in the
websocket URL, conversations made up by the client, one websocket per turn, models as tones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from ... import __version__
from ...protocol.constants import MessageType, RecordType, Style
from ...protocol.conversation import Conversation
from ...protocol.framing import Record
from ..base import HttpGet, Service, Turn
from .reader import M365TurnReader
from .token import TokenSource

__all__ = [
    "CHATHUB_PATH",
    "DEFAULT_TONE",
    "ORIGIN",
    "TONES",
    "M365Service",
    "build_m365_invocation",
    "metrics_record",
    "stop_record",
]

BASE_URL = "https://substrate.office.com"
CHATHUB_PATH = "/m365Copilot/Chathub/{oid}@{tid}"
UPLOAD_PATH = "/m365Copilot/UploadFile"
ORIGIN = "https://m365.cloud.microsoft"
SOURCE = "officeweb"
SCENARIO = "OfficeWebIncludedCopilot"

DEFAULT_TONE = "Magic"
TONES: Mapping[str, str] = {
    "Magic": "automatic: the service picks the model (the default)",
    "Gpt_Quick": "a fast GPT model",
    "Gpt_Reasoning": "a GPT model that reasons first (10–30 s)",
    "Claude_Sonnet": "Claude Sonnet",
    "Claude_Sonnet_Reasoning": "Claude Sonnet, reasoning first",
    "Gpt_5_5_Chat": "GPT-5.5 chat",
    "Gpt_5_5_Reasoning": "GPT-5.5, reasoning first",
}
"""The tones seen accepted in 2026, each a model (M365-CHATHUB.md §3). The set changes without
notice: any other tone is passed through, and the service refuses what it does not know."""

OPTIONS_SETS = ("enterprise_flux_web", "enterprise_flux_work", "enable_batch_token_processing")
ALLOWED_MESSAGE_TYPES = (
    "Chat",
    "Suggestion",
    "InternalSearchQuery",
    "InternalSearchResult",
    "Disengaged",
    "InternalLoaderMessage",
    "Progress",
    "RenderCardRequest",
    "SearchQuery",
    "EndOfRequest",
    "ReferencesListComplete",
    "GeneratedCode",
)
WEB_SEARCH_PLUGIN = {"Id": "BingWebSearch", "Source": "BuiltIn"}


def build_m365_invocation(
    prompt: str,
    *,
    conversation_id: str,
    session_id: str,
    start_of_session: bool,
    tone: str = DEFAULT_TONE,
    search: bool = True,
    ids: Callable[[], str] = lambda: str(uuid.uuid4()),
    annotations: Sequence[Mapping[str, Any]] = (),
) -> Record:
    """The type-4 ``chat`` invocation of one turn (M365-CHATHUB.md §3). Pure, but for ``ids``.

    Later turns send only the new text (``start_of_session`` false): the service keeps the
    history under the conversation id. ``invocationId`` is ``"0"``: each turn has its websocket.

    >>> record = build_m365_invocation("Hi", conversation_id="c", session_id="s",
    ...                                start_of_session=True, ids=lambda: "id")
    >>> argument = record["arguments"][0]
    >>> argument["tone"], argument["message"]["text"], argument["isStartOfSession"]
    ('Magic', 'Hi', True)
    """
    return {
        "type": int(RecordType.STREAM_INVOCATION),
        "target": "chat",
        "invocationId": "0",
        "arguments": [
            {
                "source": SOURCE,
                "clientCorrelationId": ids(),
                "sessionId": session_id,
                "traceId": ids(),
                "conversationId": conversation_id,
                "isStartOfSession": start_of_session,
                "optionsSets": list(OPTIONS_SETS),
                "streamingMode": "ConciseWithPadding",
                "options": {},
                "sliceIds": [],
                "threadLevelGptId": {},
                "allowedMessageTypes": list(ALLOWED_MESSAGE_TYPES),
                "clientInfo": {"clientPlatform": "web"},
                "productThreadType": "Office",
                "message": {
                    "author": "user",
                    "inputMethod": "Keyboard",
                    "text": prompt,
                    "requestId": ids(),
                    "messageType": MessageType.CHAT.value,
                    "experienceType": "Default",
                    "locale": "en-us",
                    "locationInfo": {"timeZone": "UTC", "timeZoneOffset": 0},
                    "messageAnnotations": [dict(a) for a in annotations],
                },
                "plugins": [dict(WEB_SEARCH_PLUGIN)] if search else [],
                "tone": tone,
            }
        ],
    }


def metrics_record(timestamp: str) -> Record:
    """The ``Metrics`` record sent in the invocation's message (one 2026 report says the server
    answers nothing without it; sending it is harmless)."""
    stamps = ("ConnectionStart", "UserInputStart", "ConnectionEstablished", "UserInputSubmit")
    return {
        "type": int(RecordType.INVOCATION),
        "target": "Metrics",
        "arguments": [{"Timestamps": dict.fromkeys(stamps, timestamp)}],
    }


def stop_record() -> Record:
    """What stops a streaming answer (M365-CHATHUB.md §4)."""
    return {
        "type": int(RecordType.INVOCATION),
        "target": "stop",
        "invocationId": "1",
        "arguments": [{}],
    }


@dataclass(frozen=True)
class M365Service(Service):
    """Microsoft 365 Copilot's Chathub, with the user's own token.

    Args:
        token: where the token comes from (checked before every connection).
        base_url: ``https://substrate.office.com``, or another server speaking it (the hub);
            ``http://`` gives ``ws://`` for the websocket.

    A conversation is made up here (its id and session id are fresh UUIDs; the service creates
    it with its first turn), so no HTTP call precedes the first answer.
    """

    name = "m365"
    websocket_per_turn = True

    token: TokenSource
    base_url: str = BASE_URL
    ids: Callable[[], str] = field(default=lambda: str(uuid.uuid4()), repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an http:// or https:// base URL, got {self.base_url!r}")

    def headers(self) -> dict[str, str]:
        """The ``Origin`` the service expects; the token travels in the URL, not here."""
        return {"Origin": ORIGIN, "User-Agent": f"g4f-bing/{__version__}"}

    def websocket_url(self, conversation: Conversation | None) -> str | None:
        """The Chathub URL of ``conversation`` with its query, the token URL-encoded; ``None``
        before a conversation exists (its id is in the URL)."""
        if conversation is None:
            return None
        token = self.token.current()
        parts = urlsplit(self.base_url.strip())
        scheme = "wss" if parts.scheme == "https" else "ws"
        path = parts.path.rstrip("/") + CHATHUB_PATH.format(
            oid=quote(token.oid, safe=""), tid=quote(token.tid, safe="")
        )
        query = "&".join(
            f"{name}={value}"
            for name, value in (
                ("ClientRequestId", self.ids()),
                ("X-SessionId", quote(conversation.client_id, safe="")),
                ("ConversationId", quote(conversation.conversation_id, safe="")),
                ("access_token", quote(token.value, safe="")),
                ("source", quote(f'"{SOURCE}"', safe="")),
                ("scenario", SCENARIO),
            )
        )
        return urlunsplit((scheme, parts.netloc, path, query, ""))

    async def create_conversation(
        self, get: HttpGet, style: Style, time_limit: float
    ) -> Conversation:
        """A new conversation, made up here: fresh ids, the default tone (no HTTP call).

        The conversation's ``client_id`` holds its session id."""
        self.token.current()  # a bad or expired token fails now, before anything is sent
        return Conversation(
            conversation_id=self.ids(), client_id=self.ids(), style=style, tone=DEFAULT_TONE
        )

    def invocation(self, conversation: Conversation, turn: Turn) -> Sequence[Record]:
        """The ``chat`` invocation, then the ``Metrics`` record, for one websocket message."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        invocation = build_m365_invocation(
            turn.prompt,
            conversation_id=conversation.conversation_id,
            session_id=conversation.client_id,
            start_of_session=conversation.turn == 0,
            tone=turn.tone or conversation.tone or DEFAULT_TONE,
            search=turn.search,
            ids=self.ids,
        )
        return [invocation, metrics_record(now)]

    def reader(self) -> M365TurnReader:
        """Its own reader: deltas and snapshots, ``Disengaged``, throttled empty answers."""
        return M365TurnReader()

    def stop_record(self, conversation: Conversation) -> Record | None:
        """The ``stop`` record."""
        return stop_record()

    def secrets(self, conversation: Conversation) -> Sequence[str]:
        """The token."""
        return [self.token.current().value]
