"""The async client: conversations and turns over HTTPS and the ChatHub websocket."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType

import aiohttp

from .. import __version__
from ..errors import ConnectionClosed, G4FError
from ..protocol import Event, Final, Locale, Style, TextDelta, build_invocation
from .chathub import ChatHubConnection
from .config import Endpoints, Timeouts
from .conversation import Conversation
from .cookies import Cookies
from .create import create_conversation
from .proxy import check_proxy, is_socks, redact_url, socks_connector
from .recorder import CassetteRecorder
from .retry import RetryPolicy

__all__ = ["BingClient"]

log = logging.getLogger(__name__)

DEFAULT_HEADERS: Mapping[str, str] = {
    "Accept": "application/json",
    "Accept-Language": "en-US,en;q=0.9",
    "User-Agent": f"g4f-bing/{__version__} (+https://pypi.org/project/g4f-bing/)",
}


def _advance_turn(conversation: Conversation) -> None:
    conversation.turn += 1


async def _discard(opening: asyncio.Future[ChatHubConnection]) -> None:
    """Close a speculatively opened websocket, whether it opened, failed or is still opening."""
    if not opening.done():
        opening.cancel()
    with contextlib.suppress(BaseException):
        connection = await opening
        await connection.aclose()


class BingClient:
    """An async ChatHub client.

    Use it as an async context manager; it owns one HTTP session, closed on exit.

    Args:
        url: a server serving both ChatHub paths (e.g. the local hub); defaults to
            ``$G4F_BING_URL``, then Bing's own hosts.
        cookies: the user's own Bing cookies — a ``Cookie`` header value, a dict, or
            :class:`~g4f.client.Cookies` (e.g. ``Cookies.from_file(path)``); defaults to
            ``$BING_COOKIES``. Never logged, shown or written.
        timeouts: how long each network step may take.
        locale: language and market hints.
        proxy: ``http://``, ``https://`` or ``socks5://`` proxy URL for both connections
            (SOCKS needs the ``socks`` extra). TLS certificates are always verified.
        retry: how conversation create retries transient failures.
        record: a cassette file to append every websocket message of every turn to.
        max_idle_connections: websockets kept open between the turns of conversations (the
            next turn then costs one round trip); the least recently used close first.

    Example::

        async with BingClient(url="http://127.0.0.1:8765") as client:
            async for event in client.ask("Hello"):
                if isinstance(event, TextDelta):
                    print(event.text, end="")
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        cookies: Cookies | str | Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        locale: Locale | None = None,
        proxy: str | None = None,
        retry: RetryPolicy | None = None,
        record: str | os.PathLike[str] | None = None,
        max_idle_connections: int = 16,
    ) -> None:
        self.endpoints = Endpoints.resolve(url)
        self.timeouts = timeouts or Timeouts()
        self.locale = locale or Locale()
        self.retry = retry or RetryPolicy()
        self._cookies = Cookies.coerce(cookies) if cookies is not None else Cookies.from_env()
        self._proxy = check_proxy(proxy) if proxy else None
        self._recorder = CassetteRecorder(record) if record is not None else None
        self._session: aiohttp.ClientSession | None = None
        if max_idle_connections < 1:
            raise ValueError("max_idle_connections must be at least 1")
        self.max_idle_connections = max_idle_connections
        # Open websockets of conversations between turns, least recently used first.
        self._idle: OrderedDict[str, ChatHubConnection] = OrderedDict()
        # Whether the last create put the signature in the body, so that the websocket can be
        # opened while the conversation is being created (it then needs no access token).
        self._speculate = True

    def __repr__(self) -> str:
        cookies = "<redacted>" if self._cookies else None
        proxy = redact_url(self._proxy) if self._proxy else None
        return f"BingClient(endpoints={self.endpoints!r}, cookies={cookies}, proxy={proxy!r})"

    async def __aenter__(self) -> BingClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every websocket kept open between turns, and the HTTP session."""
        while self._idle:
            _, connection = self._idle.popitem()
            await connection.aclose()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No limit on connections: each running turn holds a websocket for its whole
            # length, so aiohttp's default pool of 100 would cap concurrent turns at 100.
            connector = socks_connector(self._proxy, limit=0) if self._proxy else None
            self._session = aiohttp.ClientSession(
                connector=connector or aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=self.timeouts.connect,
                    sock_connect=self.timeouts.connect,
                ),
            )
        return self._session

    @property
    def _http_proxy(self) -> str | None:
        """The proxy aiohttp applies per request (SOCKS goes through the connector instead)."""
        return self._proxy if self._proxy and not is_socks(self._proxy) else None

    def _headers(self) -> dict[str, str]:
        headers = dict(DEFAULT_HEADERS)
        if self._cookies:
            headers["Cookie"] = self._cookies.header()
        return headers

    async def _open(self, access_token: str | None) -> ChatHubConnection:
        return await ChatHubConnection.open(
            self._get_session(),
            self.endpoints.chathub_url,
            headers=self._headers(),
            timeouts=self.timeouts,
            access_token=access_token,
            proxy=self._http_proxy,
            recorder=self._recorder,
        )

    async def start_conversation(self, style: Style | str = Style.PRECISE) -> Conversation:
        """Create a conversation and open its websocket, together where the service allows.

        When the service puts the signature in the create response's body, the websocket needs
        no access token, so it is opened while the conversation is created: both take one round
        trip, and the first answer comes one round trip sooner. The websocket is kept for the
        conversation's first turn (see ``max_idle_connections``).
        """
        conversation, connection = await self._start(Style.parse(style))
        await self._keep(conversation.conversation_id, connection)
        return conversation

    async def _start(self, style: Style) -> tuple[Conversation, ChatHubConnection]:
        """A new conversation and an open websocket for it (opened early when possible)."""
        if not self._speculate:
            conversation = await self.create_conversation(style)
            return conversation, await self._open(conversation.encrypted_signature)
        opening = asyncio.ensure_future(self._open(None))
        try:
            conversation = await self.create_conversation(style)
        except BaseException:
            await _discard(opening)
            raise
        self._speculate = conversation.encrypted_signature is None
        if self._speculate:
            with contextlib.suppress(G4FError):
                return conversation, await opening
        else:
            await _discard(opening)  # the websocket needs the access token: open another
        return conversation, await self._open(conversation.encrypted_signature)

    def _connection_for(self, conversation: Conversation) -> ChatHubConnection | None:
        """The websocket kept open for ``conversation``, if any."""
        connection = self._idle.pop(conversation.conversation_id, None)
        return None if connection is None or connection.closed else connection

    async def _keep(self, conversation_id: str, connection: ChatHubConnection) -> None:
        previous = self._idle.pop(conversation_id, None)
        if previous is not None and previous is not connection:
            await previous.aclose()  # two turns of one conversation ran at once: keep one
        self._idle[conversation_id] = connection
        while len(self._idle) > self.max_idle_connections:
            _, oldest = self._idle.popitem(last=False)
            await oldest.aclose()

    async def create_conversation(self, style: Style | str = Style.PRECISE) -> Conversation:
        """Create a new server-side conversation, retrying transient failures."""
        chosen = Style.parse(style)

        async def attempt() -> Conversation:
            return await create_conversation(
                self._get_session(),
                self.endpoints.create_url,
                headers=self._headers(),
                total_timeout=self.timeouts.create,
                style=chosen,
                proxy=self._http_proxy,
            )

        return await self.retry.run(attempt)

    async def ask(
        self,
        prompt: str,
        *,
        conversation: Conversation | None = None,
        style: Style | str | None = None,
        context: str | None = None,
        search: bool = True,
    ) -> AsyncIterator[Event]:
        """Send one user turn and yield its events, ending with :class:`~g4f.protocol.Final`.

        Without ``conversation`` a new one is created for this turn alone (the seed's stateless
        way; ``context`` then carries earlier history). With one, this is its next turn; the
        conversation's turn counter advances as soon as the invocation is sent, so a failed or
        interrupted turn never makes the next one reuse its invocation id.
        """
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("the prompt must be a non-empty string")
        chosen = Style.parse(style) if style is not None else None
        keep, reused = conversation is not None, False
        if conversation is None:
            conversation, connection = await self._start(chosen or Style.PRECISE)
        else:
            kept = self._connection_for(conversation)
            reused = kept is not None
            connection = kept or await self._open(conversation.encrypted_signature)
        invocation = build_invocation(
            prompt,
            conversation_id=conversation.conversation_id,
            client_id=conversation.client_id,
            invocation_id=conversation.turn,
            trace_id=os.urandom(16).hex(),
            timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
            signature=None if conversation.encrypted_signature else conversation.signature,
            style=chosen or conversation.style,
            context=context,
            search=search,
            locale=self.locale,
        )
        if self._recorder is not None:
            self._recorder.add_secret(conversation.signature)
            self._recorder.add_secret(conversation.encrypted_signature)
        on_sent: Callable[[], None] | None = functools.partial(_advance_turn, conversation)
        finished = False
        try:
            while True:
                try:
                    events = connection.turn(invocation, on_sent=on_sent)
                    async with contextlib.aclosing(events):  # type: ignore[type-var]
                        async for event in events:
                            if isinstance(event, Final):
                                finished = True
                                conversation.expiry_time = (
                                    event.expiry_time or conversation.expiry_time
                                )
                            yield event
                    break
                except ConnectionClosed:
                    # A kept websocket the server closed while idle: reopen it once and resend.
                    if not reused or connection.turn_records:
                        raise
                    reused, on_sent = False, None
                    connection = await self._open(conversation.encrypted_signature)
        finally:
            if keep and finished and not connection.closed:
                await self._keep(conversation.conversation_id, connection)
            else:
                await connection.aclose()

    async def ask_text(
        self,
        prompt: str,
        *,
        conversation: Conversation | None = None,
        style: Style | str | None = None,
        context: str | None = None,
        search: bool = True,
    ) -> str:
        """Send one turn and return the whole answer text (the joined deltas)."""
        parts: list[str] = []
        async for event in self.ask(
            prompt, conversation=conversation, style=style, context=context, search=search
        ):
            if isinstance(event, TextDelta):
                parts.append(event.text)
        return "".join(parts)
