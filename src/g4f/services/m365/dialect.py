"""Microsoft 365 Copilot's Chathub (M365-CHATHUB.md) on the service seam: a bearer token in the
websocket URL, conversations made up by the client, one websocket per turn, models as tones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from ... import __version__
from ...engine.backend import Capabilities
from ...engine.dialect import ChatHubDialect, HttpGet, HttpPost, Turn
from ...engine.images import Image
from ...errors import (
    AccessDenied,
    G4FError,
    NotAuthorized,
    ProtocolError,
    RateLimited,
    RequestRefused,
    ServerError,
    caused_by,
)
from ...protocol.constants import RecordType, Style
from ...protocol.conversation import Conversation
from ...protocol.framing import Record, load_json
from ..bing.constants import MessageType
from .reader import M365TurnReader
from .token import TOKEN_HINT, TokenSource
from .tones import DEFAULT_TONE, TONES

__all__ = [
    "CHATHUB_PATH",
    "DEFAULT_TONE",
    "ORIGIN",
    "TONES",
    "M365Dialect",
    "build_m365_invocation",
    "check_base_url",
    "metrics_record",
    "stop_record",
]

BASE_URL = "https://substrate.office.com"
CHATHUB_PATH = "/m365Copilot/Chathub/{oid}@{tid}"
UPLOAD_PATH = "/m365Copilot/UploadFile"
ORIGIN = "https://m365.cloud.microsoft"
SOURCE = "officeweb"
SCENARIO = "OfficeWebIncludedCopilot"

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


def check_base_url(url: str) -> str:
    """``url`` if it can be the service's base URL, else ``ValueError`` saying what is expected."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// base URL, got {url!r}")
    return url


@dataclass(frozen=True)
class M365Dialect(ChatHubDialect):
    """Microsoft 365 Copilot's Chathub, with the user's own token.

    Args:
        token: where the token comes from (checked before every connection).
        base_url: ``https://substrate.office.com``, or another server speaking it (the hub);
            ``http://`` gives ``ws://`` for the websocket.
        tone: the model of new conversations (a key of :data:`TONES`, or any other tone,
            passed through).

    A conversation is made up here (its id and session id are fresh UUIDs; the service creates
    it with its first turn), so no HTTP call precedes the first answer.
    """

    name = "m365"
    websocket_per_turn = True
    capabilities: ClassVar[Capabilities] = Capabilities(images=True, tones=True, stop=True)

    token: TokenSource
    base_url: str = BASE_URL
    tone: str = DEFAULT_TONE
    ids: Callable[[], str] = field(default=lambda: str(uuid.uuid4()), repr=False)

    def __post_init__(self) -> None:
        check_base_url(self.base_url)
        if not self.tone.strip():
            raise ValueError("the tone must be a non-empty string")

    def headers(self) -> dict[str, str]:
        """The ``Origin`` the service expects; the token travels in the URL, not here."""
        return {"Origin": ORIGIN, "User-Agent": f"g4f-bing/{__version__}"}

    def websocket_url(self, conversation: Conversation | None) -> str | None:
        """The Chathub URL of ``conversation`` with its query, the token URL-encoded; ``None``
        before a conversation exists (its id is in the URL)."""
        if conversation is None:
            return None
        token = self.token.current()
        path = CHATHUB_PATH.format(oid=quote(token.oid, safe=""), tid=quote(token.tid, safe=""))
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
        return self._url(path, query, websocket=True)

    def _url(self, path: str, query: str = "", *, websocket: bool = False) -> str:
        """``path`` (and ``query``) on the base URL; ``ws(s)://`` for the websocket."""
        parts = urlsplit(self.base_url.strip())
        scheme = ("wss" if parts.scheme == "https" else "ws") if websocket else parts.scheme
        return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path, query, ""))

    async def create_conversation(
        self, get: HttpGet, style: Style, time_limit: float
    ) -> Conversation:
        """A new conversation, made up here: fresh ids, the default tone (no HTTP call).

        The conversation's ``client_id`` holds its session id."""
        self.token.current()  # a bad or expired token fails now, before anything is sent
        return Conversation(
            conversation_id=self.ids(), client_id=self.ids(), style=style, tone=self.tone
        )

    def invocation(self, conversation: Conversation, turn: Turn) -> Sequence[Record]:
        """The ``chat`` invocation, then the ``Metrics`` record, for one websocket message."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        # The service keeps a conversation's history itself; a new conversation given earlier
        # messages (the stateless OpenAI way) gets them in its first message, in the seed's
        # format, since the invocation has no field for them.
        prompt = f"{turn.context}[user](#message)\n{turn.prompt}" if turn.context else turn.prompt
        invocation = build_m365_invocation(
            prompt,
            conversation_id=conversation.conversation_id,
            session_id=conversation.client_id,
            start_of_session=conversation.turn == 0,
            tone=turn.tone or conversation.tone or self.tone,
            search=turn.search,
            ids=self.ids,
            annotations=turn.annotations,
        )
        return [invocation, metrics_record(now)]

    def reader(self) -> M365TurnReader:
        """Its own reader: deltas and snapshots, ``Disengaged``, throttled empty answers."""
        return M365TurnReader()

    def stop_record(self, conversation: Conversation) -> Record | None:
        """The ``stop`` record."""
        return stop_record()

    def upgrade_refused(self, status: int) -> G4FError | None:
        """401: the token was refused; 403: no licence, or blocked (M365-CHATHUB.md §2)."""
        if status == 401:
            return NotAuthorized(
                "Microsoft 365 Copilot rejected the token (HTTP 401): it has expired, is for "
                "another audience, or is malformed",
                advice=TOKEN_HINT,
            )
        if status == 403:
            return AccessDenied(
                "Microsoft 365 Copilot refused this account (HTTP 403): no Microsoft 365 "
                "Copilot licence, or blocked",
                advice="use a work or school account with a Microsoft 365 Copilot licence, "
                "or ask its administrator",
            )
        return None

    async def upload_image(
        self, post: HttpPost, conversation: Conversation, image: Image, time_limit: float
    ) -> Mapping[str, Any]:
        """Upload ``image`` through ``UploadFile`` (M365-CHATHUB.md §6); the message
        annotation that attaches it to the turn."""
        token = self.token.current()
        response = await post(
            self._url(UPLOAD_PATH),
            headers={
                **self.headers(),
                "Authorization": f"Bearer {token.value}",
                "X-Scenario": SCENARIO,
            },
            fields=[
                ("scenario", "UploadImage"),
                ("conversationId", conversation.conversation_id),
                ("FileBase64", image.data_url),
                ("optionsSets", "cwcgptvsan"),
            ],
            time_limit=time_limit,
        )
        failure = self.upgrade_refused(response.status) or _upload_failure(response.status)
        if failure is not None:
            raise failure
        try:
            data = load_json(response.body)
        except ValueError as exc:
            not_json = ProtocolError("the image upload answered with a body that is not JSON")
            failure = caused_by(not_json, exc)
        if failure is not None:
            raise failure  # outside the except: the original is no __context__ of it
        doc_id = data.get("docId") if isinstance(data, dict) else None
        if not isinstance(doc_id, str) or not doc_id:
            raise ProtocolError("the image upload answered without a docId")
        return {
            "id": doc_id,
            "messageAnnotationType": "ImageFile",
            "messageAnnotationMetadata": {
                "@type": "File",
                "annotationType": "File",
                "fileType": image.file_type,
                "fileName": image.name,
            },
        }

    def secrets(self, conversation: Conversation) -> Sequence[str]:
        """The token."""
        return [self.token.current().value]


def _upload_failure(status: int) -> G4FError | None:
    """The error for an upload's HTTP status (401 and 403 as for the websocket)."""
    if status == 200:
        return None
    text = f"the image upload failed with HTTP {status}"
    if status == 429:
        return RateLimited(text, status=status)
    if status >= 500:
        return ServerError(text, status=status)
    return RequestRefused(text, status=status)
