"""Microsoft 365 Copilot's Chathub (M365-CHATHUB.md) on the service seam: a bearer token in the
websocket URL, conversations made up by the client, one websocket (and one ``chat``) per turn,
models as tones, every kind of account.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
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
from ...protocol.constants import Style
from ...protocol.conversation import Conversation
from ...protocol.framing import Record, load_json
from .account import CHATHUB_PATH, DEFAULT_PLAN, PLAN_PARAMS, Plan, encode_query
from .invocation import build_m365_invocation, chathub_query, metrics_record, stop_record
from .reader import M365TurnReader
from .source import TokenSource
from .token import TOKEN_HINT, Token
from .tones import DEFAULT_TONE, TONES, normalise_tone

__all__ = [
    "BASE_URL",
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
UPLOAD_PATH = "/m365Copilot/UploadFile"
ORIGIN = "https://m365.cloud.microsoft"
_KEPT_TURN_IDS = 1024


def check_base_url(url: str) -> str:
    """``url`` if it can be the service's base URL, else ``ValueError`` saying what is expected."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// base URL, got {url!r}")
    return url


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """A ``Retry-After`` header's seconds (a number of seconds, or an HTTP date)."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class M365Dialect(ChatHubDialect):
    """Microsoft 365 Copilot's Chathub, with the user's own token.

    Args:
        token: where the token (or the pasted websocket URL) comes from; checked before every
            connection.
        base_url: another server speaking it (the hub), replacing the host of a pasted URL;
            ``None``: the pasted URL's host, else ``https://substrate.office.com``.
            ``http://`` gives ``ws://`` for the websocket.
        tone: the model of new conversations (a tone or its model id, see
            :func:`~g4f.services.m365.tones.normalise_tone`).
        plan: the kind of account of a bare token (a pasted URL's query says its own).

    A conversation is made up here (its id and session id are fresh UUIDs; the service creates
    it with its first turn), so no HTTP call precedes the first answer. Each turn gets one fresh
    id, used for the URL's ``chatsessionid`` and the invocation's ``clientCorrelationId``,
    ``traceId`` and ``message.requestId``.
    """

    name = "m365"
    websocket_per_turn = True
    ping_after_handshake = True
    capabilities: ClassVar[Capabilities] = Capabilities(images=True, tones=True, stop=True)

    token: TokenSource
    base_url: str | None = None
    tone: str = DEFAULT_TONE
    plan: Plan = DEFAULT_PLAN
    ids: Callable[[], str] = field(default=lambda: str(uuid.uuid4()), repr=False)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    _turns: OrderedDict[str, tuple[str, str]] = field(
        default_factory=OrderedDict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.base_url is not None:
            check_base_url(self.base_url)
        object.__setattr__(self, "tone", normalise_tone(self.tone))

    def headers(self) -> dict[str, str]:
        """The ``Origin`` the service expects; the token travels in the URL, not here."""
        return {"Origin": ORIGIN, "User-Agent": f"g4f-bing/{__version__}"}

    def origin(self, token: Token | None = None) -> str:
        """The service's base URL: ``base_url``, else the pasted URL's, else the default."""
        if self.base_url is not None:
            return self.base_url
        token = token or self.token.current(reread=False)
        return token.url.origin if token.url is not None else BASE_URL

    def account(self, token: Token | None = None) -> Plan:
        """The kind of account: what the pasted URL says, else ``plan``."""
        token = token or self.token.current(reread=False)
        pasted = token.url.plan if token.url is not None else None
        return pasted or self.plan

    def websocket_url(self, conversation: Conversation | None) -> str | None:
        """The Chathub URL of ``conversation``'s next turn, with the browser's query (§2) and a
        fresh per-turn id; ``None`` before a conversation exists (its id is in the URL)."""
        if conversation is None:
            return None
        token = self.token.current(reread=False)
        turn_id = self.ids().replace("-", "")  # 32 hex, as the browser's
        self._turns[conversation.conversation_id] = (turn_id, _iso(self.clock()))
        while len(self._turns) > _KEPT_TURN_IDS:
            self._turns.popitem(last=False)
        query = chathub_query(
            connection_id=turn_id,
            session_id=conversation.client_id,
            conversation_id=conversation.conversation_id,
            token=token.value,
            plan=self.plan,
            pasted=token.url.query if token.url is not None else None,
        )
        path = CHATHUB_PATH.format(oid=quote(token.oid, safe=""), tid=quote(token.tid, safe=""))
        return self._url(self.origin(token), path, encode_query(query), websocket=True)

    @staticmethod
    def _url(base: str, path: str, query: str = "", *, websocket: bool = False) -> str:
        """``path`` (and ``query``) on ``base``; ``ws(s)://`` for the websocket."""
        parts = urlsplit(base.strip())
        scheme = ("wss" if parts.scheme == "https" else "ws") if websocket else parts.scheme
        return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path, query, ""))

    async def before_turn(self) -> None:
        """Re-read the token file if it changed (off the event loop); warn of a token about to
        expire (see :class:`TokenSource`)."""
        await self.token.refresh()

    async def create_conversation(
        self, get: HttpGet, style: Style, time_limit: float
    ) -> Conversation:
        """A new conversation, made up here: fresh ids, the default tone (no HTTP call).

        The conversation's ``client_id`` holds its session id."""
        self.token.current(reread=False)  # a bad or expired token fails now, before sending
        return Conversation(
            conversation_id=self.ids(),
            client_id=self.ids(),
            style=style,
            tone=self.tone,
        )

    def invocation(self, conversation: Conversation, turn: Turn) -> Sequence[Record]:
        """The ``chat`` invocation, then the ``Metrics`` record with real times, for one
        websocket message (§3)."""
        fresh = (self.ids().replace("-", ""), _iso(self.clock()))
        turn_id, connected = self._turns.pop(conversation.conversation_id, fresh)
        # The service keeps a conversation's history itself; a new conversation given earlier
        # messages (the stateless OpenAI way) gets them in its first message, in the seed's
        # format, since the invocation has no field for them.
        prompt = f"{turn.context}[user](#message)\n{turn.prompt}" if turn.context else turn.prompt
        invocation = build_m365_invocation(
            prompt,
            conversation_id=conversation.conversation_id,
            session_id=conversation.client_id,
            turn_id=turn_id,
            tone=normalise_tone(conversation.tone or self.tone),
            search=turn.search,
            annotations=turn.annotations,
        )
        return [invocation, metrics_record(connected, _iso(self.clock()))]

    def reader(self) -> M365TurnReader:
        """Its own reader: deltas and snapshots, every answer form of §5."""
        return M365TurnReader(account=self.account().value)

    def stop_record(self, conversation: Conversation) -> Record | None:
        """The ``stop`` record."""
        return stop_record()

    def upgrade_refused(
        self, status: int, headers: Mapping[str, str] | None = None
    ) -> G4FError | None:
        """401: the token was refused; 403: no Copilot for this account, or blocked; 429:
        throttled, with its ``Retry-After`` (M365-CHATHUB.md §2)."""
        if status == 401:
            return NotAuthorized(
                "Microsoft 365 Copilot rejected the token (HTTP 401): it has expired, is for "
                "another audience, or is malformed",
                advice=TOKEN_HINT,
            )
        if status == 403:
            return AccessDenied(
                "Microsoft 365 Copilot refused this account (HTTP 403): no Copilot for this "
                "account, or blocked",
                advice="check that this account has Microsoft 365 Copilot Chat, or ask its "
                "administrator",
            )
        if status == 429:
            retry_after = _retry_after(headers)
            wait = f"; retry after {retry_after:.0f}s" if retry_after is not None else ""
            return RateLimited(
                f"Microsoft 365 Copilot is throttling this account (HTTP 429 at the websocket "
                f"upgrade{wait})",
                status=429,
                retry_after=retry_after,
            )
        return None

    async def upload_image(
        self, post: HttpPost, conversation: Conversation, image: Image, time_limit: float
    ) -> Mapping[str, Any]:
        """Upload ``image`` through ``UploadFile``, form-urlencoded (M365-CHATHUB.md §6); the
        message annotation that attaches it to the turn."""
        token = self.token.current(reread=False)
        response = await post(
            self._url(self.base_url or BASE_URL, UPLOAD_PATH),
            headers={
                **self.headers(),
                "Authorization": f"Bearer {token.value}",
                "X-Scenario": PLAN_PARAMS[self.account(token)].scenario,
            },
            fields=[
                ("scenario", "UploadImage"),
                ("conversationId", conversation.conversation_id),
                ("FileBase64", image.data_url),
                ("optionsSets", "gptvpng2048" if image.file_type == "png" else "gptvnorm2048"),
            ],
            time_limit=time_limit,
            urlencoded=True,
        )
        failure = self.upgrade_refused(response.status, response.headers)
        failure = failure or _upload_failure(response.status)
        if failure is not None:
            raise failure
        return _annotation(response.body, image)

    def secrets(self, conversation: Conversation) -> Sequence[str]:
        """The token last sent (never an error: redaction runs inside error handlers, also
        once the token has expired)."""
        token = self.token.last_read()
        return [token.value] if token is not None else []


def _annotation(body: str, image: Image) -> Mapping[str, Any]:
    """The message annotation of an uploaded image, from ``UploadFile``'s answer."""
    failure: G4FError | None = None
    try:
        data = load_json(body)
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
