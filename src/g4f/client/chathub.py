"""A ChatHub websocket: the handshake once, then turns — an invocation, events until the final."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from urllib.parse import quote

import aiohttp

from ..errors import ConnectionClosed, G4FError, ProtocolError, RequestRefused, ResponseTimeout
from ..protocol import (
    HANDSHAKE_REQUEST,
    Close,
    Completion,
    ErrorResult,
    Event,
    Final,
    Ping,
    Record,
    RecordDecoder,
    RecordType,
    TurnReader,
    encode_record,
    error_for_result,
    parse_handshake_response,
    ping_record,
)
from .config import Timeouts, host_of
from .recorder import CassetteRecorder

__all__ = ["ChatHubConnection", "chathub_url"]

log = logging.getLogger(__name__)

_PING = int(RecordType.PING)
_COMPLETION = int(RecordType.COMPLETION)
_CLOSED_TYPES = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


def chathub_url(url: str, access_token: str | None) -> str:
    """The websocket URL, with ``sec_access_token`` when the signature came encrypted."""
    if not access_token:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}sec_access_token={quote(access_token, safe='')}"


class ChatHubConnection:
    """One ChatHub websocket: the handshake once, then any number of turns, one at a time.

    Pings are answered here and not yielded. A failed turn raises the matching
    :class:`~g4f.errors.G4FError` with the text streamed so far in ``partial_text`` and leaves
    the connection closed; after a successful turn it stays open for the next one.
    """

    def __init__(self, link: _Link) -> None:
        self._link = link
        self._decoder = RecordDecoder()
        self._handshaken = False
        self.turn_records = 0
        """Records of the current turn received so far (0: the server sent nothing for it)."""

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        *,
        headers: Mapping[str, str],
        timeouts: Timeouts,
        access_token: str | None = None,
        proxy: str | None = None,
        recorder: CassetteRecorder | None = None,
    ) -> ChatHubConnection:
        """Open the websocket and send the handshake (its answer is read with the first turn)."""
        try:
            ws = await session.ws_connect(
                chathub_url(url, access_token),
                headers=dict(headers),
                proxy=proxy,
                autoping=True,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=timeouts.close),
            )
        except TimeoutError:
            raise ResponseTimeout(
                f"opening the ChatHub websocket at {host_of(url)} timed out"
            ) from None
        except aiohttp.ClientError as exc:
            raise ConnectionClosed(
                f"could not open the ChatHub websocket at {host_of(url)}: {type(exc).__name__}"
            ) from None
        connection = cls(_Link(ws, timeouts, recorder))
        try:
            await connection._link.send(HANDSHAKE_REQUEST)
        except BaseException:
            await connection.aclose()
            raise
        return connection

    @property
    def closed(self) -> bool:
        """Whether the websocket is closed (or closing)."""
        return self._link.ws.closed

    async def aclose(self) -> None:
        """Close the websocket."""
        await self._link.ws.close()

    async def turn(
        self, invocation: Record, *, on_sent: Callable[[], None] | None = None
    ) -> AsyncIterator[Event]:
        """Send ``invocation`` and yield its events, ending with :class:`Final`.

        ``on_sent`` is called once the invocation has been sent. On any failure or
        cancellation the websocket is closed.
        """
        self.turn_records = 0
        ok = False
        try:
            # The server handles records in order: the invocation need not wait for the
            # handshake's answer.
            await self._link.send(encode_record(invocation))
            if on_sent is not None:
                on_sent()  # the invocation id is used now, whatever becomes of the turn
            async for event in self._read(str(invocation.get("invocationId"))):
                if isinstance(event, Final):
                    ok = True  # the turn is over: the connection is clean even if we stop here
                yield event
        finally:
            if not ok:
                await self.aclose()
            if self._link.recorder is not None:
                await self._link.recorder.flush()

    async def _read(self, invocation_id: str) -> AsyncIterator[Event]:
        reader = TurnReader()
        try:
            async for event in self._events(reader, invocation_id):
                yield event
        except G4FError as exc:
            exc.partial_text = exc.partial_text or reader.text  # nothing received is lost
            raise

    async def _events(self, reader: TurnReader, invocation_id: str) -> AsyncIterator[Event]:
        link = self._link
        loop = asyncio.get_running_loop()
        # Only records about the turn count as progress: a server answering pings is silent.
        deadline = loop.time() + link.timeouts.read
        while True:
            for record in self._decoder.feed(await link.receive(deadline)):
                kind = record.get("type")
                if kind != _PING:
                    deadline = loop.time() + link.timeouts.read
                if not self._handshaken:
                    parse_handshake_response(record)
                    self._handshaken = True
                    continue
                if kind == _COMPLETION and record.get("invocationId") not in (None, invocation_id):
                    continue  # the end of an earlier turn on this connection
                self.turn_records += 1
                for event in reader.read(record):
                    if isinstance(event, Ping):
                        await link.ping()
                    elif isinstance(event, Close):
                        detail = f": {event.error}" if event.error else ""
                        raise ConnectionClosed(f"the server closed the conversation{detail}")
                    elif isinstance(event, ErrorResult):
                        raise error_for_result(event.value, event.message)
                    elif isinstance(event, Completion):
                        raise RequestRefused(
                            event.error or "the invocation completed without a final record"
                        )
                    else:
                        yield event
                        if isinstance(event, Final):
                            return


class _Link:
    """A connection's websocket with its timeouts and optional recorder: sending, receiving,
    keep-alive pings. Its errors carry no partial text; the turn being read adds it."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        timeouts: Timeouts,
        recorder: CassetteRecorder | None,
    ) -> None:
        self.ws, self.timeouts, self.recorder = ws, timeouts, recorder
        self._last_ping = -float("inf")

    async def ping(self) -> None:
        """Send a keep-alive ping, at most one per ``ping_interval``.

        Server pings are answered through this too; the limit keeps a server that answers
        pings with pings from starting an endless exchange.
        """
        now = asyncio.get_running_loop().time()
        if now - self._last_ping >= self.timeouts.ping_interval:
            self._last_ping = now
            await self.send(encode_record(ping_record()))

    async def send(self, text: str) -> None:
        """Send one text message."""
        if self.recorder is not None:
            self.recorder.record("send", text)
        try:
            await self.ws.send_str(text)
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise ConnectionClosed(
                f"the ChatHub websocket closed while sending: {type(exc).__name__}"
            ) from None

    async def receive(self, deadline: float) -> str:
        """The next text message; sends keep-alive pings while waiting, until ``deadline``."""
        text = await self._receive(deadline)
        if self.recorder is not None:
            self.recorder.record("recv", text)
        return text

    async def _receive(self, deadline: float) -> str:
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ResponseTimeout(
                    f"the server sent nothing for the turn in {self.timeouts.read:g}s"
                )
            try:
                message = await self.ws.receive(timeout=min(remaining, self.timeouts.ping_interval))
            except TimeoutError:
                if deadline - loop.time() > 0:
                    await self.ping()
                continue
            if message.type == aiohttp.WSMsgType.TEXT:
                return str(message.data)
            if message.type == aiohttp.WSMsgType.BINARY:
                try:
                    return bytes(message.data).decode("utf-8")
                except UnicodeDecodeError:
                    raise ProtocolError("binary websocket message that is not UTF-8") from None
            if message.type in _CLOSED_TYPES:
                raise ConnectionClosed(
                    "the server closed the websocket before the answer was complete"
                )
            raise ConnectionClosed(f"the websocket failed: {type(self.ws.exception()).__name__}")
