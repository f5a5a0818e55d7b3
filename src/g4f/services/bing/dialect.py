"""Bing's 2023 ChatHub (CHATHUB.md): cookies, conversations created over HTTPS, one websocket
for many turns, the signature in the invocation or as the websocket's access token."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from ... import __version__
from ...engine.backend import Capabilities
from ...engine.dialect import ChatHubDialect, HttpGet, Turn
from ...errors import (
    AccessDenied,
    ChallengeRequired,
    G4FError,
    NotAuthorized,
    ProtocolError,
    RateLimited,
    RequestRefused,
    ServerError,
    caused_by,
    truncate,
)
from ...protocol.constants import Style
from ...protocol.conversation import Conversation
from ...protocol.framing import Record, load_json
from ...urls import redact_url
from .constants import (
    ACCESS_TOKEN_PARAM,
    CHATHUB_PATH,
    CREATE_PATH,
    ENCRYPTED_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    ResultValue,
)
from .cookies import Cookies
from .invocation import Locale, build_invocation
from .reader import TurnReader
from .results import error_for_result

__all__ = [
    "DEFAULT_HEADERS",
    "ENV_URL",
    "BingDialect",
    "Endpoints",
    "error_for_status",
    "parse_create",
]

ENV_URL = "G4F_BING_URL"
"""Environment variable naming another server that serves both ChatHub paths."""

DEFAULT_HEADERS: Mapping[str, str] = {
    "Accept": "application/json",
    "Accept-Language": "en-US,en;q=0.9",
    "User-Agent": f"g4f-bing/{__version__} (+https://pypi.org/project/g4f-bing/)",
}


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The two URLs a conversation needs: HTTPS create, and the ChatHub websocket.

    Its ``repr`` leaves out any user info in the URLs (a password is a credential).
    """

    create_url: str = "https://www.bing.com" + CREATE_PATH
    chathub_url: str = "wss://sydney.bing.com" + CHATHUB_PATH

    def __repr__(self) -> str:
        return (
            f"Endpoints(create_url={redact_url(self.create_url)!r}, "
            f"chathub_url={redact_url(self.chathub_url)!r})"
        )

    @classmethod
    def from_base(cls, base: str) -> Endpoints:
        """Both paths under one server, e.g. ``http://127.0.0.1:8765`` (the local hub).

        >>> Endpoints.from_base("http://127.0.0.1:8765").chathub_url
        'ws://127.0.0.1:8765/sydney/ChatHub'
        """
        parts = urlsplit(base.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an http:// or https:// base URL, got {base!r}")
        path = parts.path.rstrip("/")
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        return cls(
            create_url=urlunsplit((parts.scheme, parts.netloc, path + CREATE_PATH, "", "")),
            chathub_url=urlunsplit((ws_scheme, parts.netloc, path + CHATHUB_PATH, "", "")),
        )

    @classmethod
    def resolve(cls, url: str | None = None) -> Endpoints:
        """``url`` if given, else ``$G4F_BING_URL`` if set, else Bing's own hosts.

        Read at call time, never at import time, so a change of the variable takes effect.
        """
        base = url or os.environ.get(ENV_URL, "").strip()
        return cls.from_base(base) if base else cls()


@dataclass(frozen=True)
class BingDialect(ChatHubDialect):
    """Bing's 2023 ChatHub.

    Args:
        endpoints: where conversations are created and the websocket is.
        cookies: the user's own Bing cookies (sent on create and on the websocket upgrade).
        locale: language and market hints sent with every message.
    """

    name = "bing"
    websocket_per_turn = False
    capabilities: ClassVar[Capabilities] = Capabilities(styles=True, search_toggle=True)

    endpoints: Endpoints = field(default_factory=Endpoints)
    cookies: Cookies | None = field(default=None, repr=False)
    locale: Locale = field(default_factory=Locale)

    def headers(self) -> dict[str, str]:
        """The default headers, plus ``Cookie`` when the user gave cookies."""
        headers = dict(DEFAULT_HEADERS)
        if self.cookies:
            headers["Cookie"] = self.cookies.header()
        return headers

    def websocket_url(self, conversation: Conversation | None) -> str:
        """The ChatHub URL, with ``sec_access_token`` when the signature came encrypted."""
        url = self.endpoints.chathub_url
        token = conversation.encrypted_signature if conversation is not None else None
        if not token:
            return url
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}{ACCESS_TOKEN_PARAM}={quote(token, safe='')}"

    async def create_conversation(
        self, get: HttpGet, style: Style, time_limit: float
    ) -> Conversation:
        """``GET`` the create URL and read the new conversation from the response."""
        url, headers = self.endpoints.create_url, self.headers()
        response = await get(url, headers=headers, time_limit=time_limit)
        return parse_create(response.status, response.headers, response.body, style=style)

    def invocation(self, conversation: Conversation, turn: Turn) -> Sequence[Record]:
        """The type-4 ``chat`` invocation (CHATHUB.md §3)."""
        return [
            build_invocation(
                turn.prompt,
                conversation_id=conversation.conversation_id,
                client_id=conversation.client_id,
                invocation_id=conversation.turn,
                trace_id=os.urandom(16).hex(),
                timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
                signature=None if conversation.encrypted_signature else conversation.signature,
                style=turn.style,
                context=turn.context,
                search=turn.search,
                locale=self.locale,
            )
        ]

    def reader(self) -> TurnReader:
        """Bing's reader of a turn's records."""
        return TurnReader()

    def secrets(self, conversation: Conversation) -> Sequence[str]:
        """The conversation's signatures."""
        return [s for s in (conversation.signature, conversation.encrypted_signature) if s]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds; ``None`` when absent, unreadable or not finite (an error
    clamps what is left to a sane range)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: too rare here to be worth parsing


def _not_chathub(status: int, headers: Mapping[str, str], body: str) -> bool:
    """Whether a 404 is some other server's: a web page or a JSON API error, where Bing's
    throttling 404 (CHATHUB.md §1) carried no such body."""
    if status != 404:
        return False
    kind = headers.get("Content-Type", "").split(";")[0].strip().lower()
    start = body.lstrip()[:1]
    return kind in ("text/html", "application/json") or start in ("<", "{")


def error_for_status(status: int, headers: Mapping[str, str], body: str = "") -> G4FError | None:
    """The exception for a failed HTTP status of the create request, ``None`` for 200.

    A 404 is Bing's way of rate limiting, unless the body is a web page or a JSON error: then
    the URL points at another kind of server (:class:`~g4f.errors.ProtocolError`).
    """
    if status == 200:
        return None
    retry_after = _retry_after(headers)
    text = f"conversation create failed with HTTP {status}"
    if _not_chathub(status, headers, body):
        return ProtocolError(
            f"not a ChatHub endpoint: {CREATE_PATH} answered HTTP 404 with "
            f"{'a web page' if body.lstrip().startswith('<') else 'an error document'}"
        )
    if status == 404:  # Bing's throttling (CHATHUB.md §1); a wrong path answers so too
        text += " (Bing's way of throttling; if waiting does not help, check the URL)"
    if status in (404, 429):
        return RateLimited(text, status=status, retry_after=retry_after)
    if status == 401:
        return NotAuthorized(text, status=status)
    if status == 403:
        return AccessDenied(text, status=status)
    if status >= 500:
        return ServerError(text, status=status, retry_after=retry_after)
    return RequestRefused(text, status=status)


def parse_create(
    status: int, headers: Mapping[str, str], body: str, *, style: Style = Style.PRECISE
) -> Conversation:
    """Turn a create response into a :class:`Conversation`, or raise the fitting error.

    Accepts both shapes: the signature in the JSON body (2023) or in the ``X-Sydney-*`` headers
    (Oct 2023+). Pure, so both shapes and every failure are testable without a server.
    """
    error = error_for_status(status, headers, body)
    if error is not None:
        raise error
    data = _json_body(body)
    result = data.get("result")
    if isinstance(result, dict):
        value = result.get("value")
        if value is not None and value != ResultValue.SUCCESS:
            raise error_for_result(str(value), str(result.get("message") or ""))
    conversation_id = data.get("conversationId")
    client_id = data.get("clientId")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise RequestRefused("conversation create returned no conversationId")
    if not isinstance(client_id, str) or not client_id:
        raise RequestRefused("conversation create returned no clientId")
    # A signature in the body (2023) travels inside the invocation; one only in the headers
    # (Oct 2023+) means the websocket needs the encrypted one as its access token.
    body_signature = data.get("conversationSignature")
    signature = body_signature or headers.get(SIGNATURE_HEADER)
    encrypted = None if body_signature else headers.get(ENCRYPTED_SIGNATURE_HEADER)
    if not signature and not encrypted:
        raise NotAuthorized("conversation create returned no conversation signature")
    return Conversation(
        conversation_id=conversation_id,
        client_id=client_id,
        signature=str(signature) if signature else None,
        encrypted_signature=encrypted or None,
        style=style,
    )


def _json_body(body: str) -> dict[str, Any]:
    stripped = body.strip()
    if not stripped:
        raise ChallengeRequired("conversation create returned an empty body")
    if stripped.startswith("<"):
        raise ChallengeRequired(
            "conversation create returned a web page (a challenge) instead of JSON"
        )
    failure: ProtocolError | None = None
    try:
        data = load_json(stripped)
    except ValueError as exc:
        not_json = (
            f"conversation create returned a body that is not JSON: {truncate(stripped, 80)!r}"
        )
        failure = caused_by(ProtocolError(not_json), exc)
    if failure is not None:
        raise failure  # outside the except: the original is no __context__ of it
    if not isinstance(data, dict):
        raise ProtocolError("conversation create returned JSON that is not an object")
    return data
