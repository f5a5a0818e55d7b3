"""One turn over the ChatHub websocket: handshake, invocation, events until the final record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from urllib.parse import quote

import aiohttp

from ..errors import ConnectionClosed, ProtocolError, RequestRefused, ResponseTimeout
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

__all__ = ["chathub_url", "stream_turn"]

log = logging.getLogger(__name__)

_CLOSED_TYPES = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


def chathub_url(url: str, access_token: str | None) -> str:
    """The websocket URL, with ``sec_access_token`` when the signature came encrypted."""
    if not access_token:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}sec_access_token={quote(access_token, safe='')}"


async def stream_turn(
    session: aiohttp.ClientSession,
    url: str,
    invocation: Record,
    *,
    headers: Mapping[str, str],
    timeouts: Timeouts,
    access_token: str | None = None,
    proxy: str | None = None,
    recorder: CassetteRecorder | None = None,
    on_sent: Callable[[], None] | None = None,
) -> AsyncIterator[Event]:
    """Open the websocket, run one turn and yield its events, ending with :class:`Final`.

    Pings are answered here and not yielded. A failed turn raises the matching
    :class:`~g4f.errors.G4FError` with the text streamed so far in ``partial_text``. The
    websocket is closed on every path, cancellation included. ``on_sent`` is called once the
    invocation has been sent.
    """
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
    link = _Link(ws, timeouts, recorder)
    try:
        async with ws:
            await link.send(HANDSHAKE_REQUEST, "")
            # The server handles records in order: the invocation need not wait for the handshake.
            await link.send(encode_record(invocation), "")
            if on_sent is not None:
                on_sent()  # the invocation id is used now, whatever becomes of the turn
            async for event in _read_turn(link):
                yield event
    finally:
        if recorder is not None:
            await recorder.flush()


class _Link:
    """The websocket of one turn, with its timeouts and optional recorder."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        timeouts: Timeouts,
        recorder: CassetteRecorder | None,
    ) -> None:
        self.ws, self.timeouts, self.recorder = ws, timeouts, recorder
        self._last_ping = -float("inf")

    async def ping(self, partial_text: str) -> None:
        """Send a keep-alive ping, at most one per ``ping_interval``.

        Server pings are answered through this too; the limit keeps a server that answers
        pings with pings from starting an endless exchange.
        """
        now = asyncio.get_running_loop().time()
        if now - self._last_ping >= self.timeouts.ping_interval:
            self._last_ping = now
            await self.send(encode_record(ping_record()), partial_text)

    async def send(self, text: str, partial_text: str) -> None:
        if self.recorder is not None:
            self.recorder.record("send", text)
        try:
            await self.ws.send_str(text)
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise ConnectionClosed(
                f"the ChatHub websocket closed while sending: {type(exc).__name__}",
                partial_text=partial_text,
            ) from None

    async def receive(self, reader: TurnReader, deadline: float) -> str:
        """The next text message; sends keep-alive pings while waiting, until ``deadline``."""
        text = await self._receive(reader, deadline)
        if self.recorder is not None:
            self.recorder.record("recv", text)
        return text

    async def _receive(self, reader: TurnReader, deadline: float) -> str:
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ResponseTimeout(
                    f"the server sent nothing for the turn in {self.timeouts.read:g}s",
                    partial_text=reader.text,
                )
            try:
                message = await self.ws.receive(timeout=min(remaining, self.timeouts.ping_interval))
            except TimeoutError:
                if deadline - loop.time() > 0:
                    await self.ping(reader.text)
                continue
            if message.type == aiohttp.WSMsgType.TEXT:
                return str(message.data)
            if message.type == aiohttp.WSMsgType.BINARY:
                try:
                    return bytes(message.data).decode("utf-8")
                except UnicodeDecodeError:
                    raise ProtocolError(
                        "binary websocket message that is not UTF-8", partial_text=reader.text
                    ) from None
            if message.type in _CLOSED_TYPES:
                raise ConnectionClosed(
                    "the server closed the websocket before the answer was complete",
                    partial_text=reader.text,
                )
            raise ConnectionClosed(
                f"the websocket failed: {type(self.ws.exception()).__name__}",
                partial_text=reader.text,
            )


async def _read_turn(link: _Link) -> AsyncIterator[Event]:
    loop = asyncio.get_running_loop()
    decoder, reader = RecordDecoder(), TurnReader()
    handshaken = False
    # Only records about the turn count as progress: a server answering pings is still silent.
    deadline = loop.time() + link.timeouts.read
    while True:
        text = await link.receive(reader, deadline)
        try:
            records = decoder.feed(text)
        except ProtocolError as exc:
            exc.partial_text = reader.text
            raise
        if any(record.get("type") != RecordType.PING for record in records):
            deadline = loop.time() + link.timeouts.read
        for record in records:
            if not handshaken:
                parse_handshake_response(record)
                handshaken = True
                continue
            try:
                events = reader.read(record)
            except ProtocolError as exc:
                exc.partial_text = reader.text
                raise
            for event in events:
                if isinstance(event, Ping):
                    await link.ping(reader.text)
                elif isinstance(event, Close):
                    detail = f": {event.error}" if event.error else ""
                    raise ConnectionClosed(
                        f"the server closed the conversation{detail}", partial_text=reader.text
                    )
                elif isinstance(event, ErrorResult):
                    raise error_for_result(event.value, event.message, partial_text=reader.text)
                elif isinstance(event, Completion):
                    detail = event.error or "the invocation completed without a final record"
                    raise RequestRefused(detail, partial_text=reader.text)
                else:
                    yield event
                    if isinstance(event, Final):
                        return
