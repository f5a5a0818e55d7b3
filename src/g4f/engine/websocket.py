"""The ChatHub websocket's transport: aiohttp, deadlines, keep-alive pings and the recorder.

What the records mean, and how an abandoned turn is stopped and closed, is
:class:`g4f.protocol.connection.Connection`'s business; this module only moves its text and
watches the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence

import aiohttp

from ..errors import (
    G4FError,
    ProtocolError,
    ResponseTimeout,
    TimeoutException,
    TurnTimeout,
    caused_by,
)
from ..protocol import Event, Final, Invocation, KeepAlive, Ping, Record
from ..protocol.connection import NEED_DATA, Connection, State, TurnReader
from .config import Limits, Timeouts
from .failures import open_failure
from .recorder import CassetteRecorder

__all__ = ["ChatHubSocket"]

_CLOSED_TYPES = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


class ChatHubSocket:
    """One ChatHub websocket: the handshake once, then any number of turns, one at a time.

    Pings are answered here and not yielded. A failed turn raises the matching
    :class:`~g4f.errors.G4FError` with the text streamed so far in ``partial_text`` and leaves
    the websocket closed; after a successful turn it stays open for the next one.
    """

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        timeouts: Timeouts,
        *,
        reader: Callable[[], TurnReader],
        recorder: CassetteRecorder | None = None,
        limits: Limits | None = None,
    ) -> None:
        self._ws, self.timeouts, self.recorder = ws, timeouts, recorder
        self.limits = limits or Limits()
        self.connection = Connection(max_record=self.limits.max_message_bytes, reader=reader)
        self._last_ping = -float("inf")
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        *,
        headers: Mapping[str, str],
        timeouts: Timeouts,
        limits: Limits | None = None,
        proxy: str | None = None,
        via: str | None = None,
        recorder: CassetteRecorder | None = None,
        reader: Callable[[], TurnReader],
        refused: Callable[[int, Mapping[str, str]], G4FError | None] | None = None,
        ping_after_handshake: bool = False,
    ) -> ChatHubSocket:
        """Open the websocket and send the handshake (its answer is read with the first turn).

        Connecting, TLS and the upgrade's answer together have ``timeouts.connect``. ``proxy``
        is an HTTP proxy aiohttp applies; ``via`` names the proxy in use (SOCKS included) in
        errors. ``refused`` gives the error for an upgrade refused with an HTTP status, where
        the service gives it a meaning (e.g. 401: the credentials; its headers too).
        ``ping_after_handshake`` sends a ping right after the handshake.
        """
        limits = limits or Limits()
        failure: BaseException | None = None
        try:
            async with asyncio.timeout(timeouts.connect):
                ws = await session.ws_connect(
                    url,
                    headers=dict(headers),
                    proxy=proxy,
                    autoping=True,
                    max_msg_size=limits.max_message_bytes,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=timeouts.close),
                )
        except Exception as exc:  # mapped to a typed error below, or raised as it is
            if isinstance(exc, aiohttp.WSServerHandshakeError) and refused is not None:
                failure = refused(exc.status, dict(exc.headers or {}))
            if failure is None:
                failure = open_failure(exc, url, via or proxy, timeouts.connect)
            failure = caused_by(failure, exc)
        # Raised here, not in the except: the original (its URL may carry a token) must not
        # become its __context__.
        if failure is not None:
            raise failure
        socket = cls(ws, timeouts, reader=reader, recorder=recorder, limits=limits)
        try:
            await socket._send(socket.connection.initiate())
            if ping_after_handshake:
                await socket._send(socket.connection.send(KeepAlive()))
        except BaseException:
            await socket.aclose()
            raise
        return socket

    @property
    def closed(self) -> bool:
        """Whether the websocket is closed (or closing), or the server ended the connection."""
        return self._ws.closed or self.connection.state is State.CLOSED

    async def aclose(self) -> None:
        """Close the websocket: the closing handshake within ``timeouts.close``, after which
        the connection is dropped (a server still flooding the socket never answers it).

        While an abandoned turn is being stopped, this waits for that to end instead (closing
        now would cut the ``stop`` or its acknowledgement short)."""
        if self._closing is not None:
            await asyncio.shield(self._closing)
            return
        await self._close_now()

    async def _close_now(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeouts.close):
                await self._ws.close()

    async def handshake(self) -> None:
        """Wait for the server's answer to the handshake (within the read timeout)."""
        connection = self.connection
        deadline = asyncio.get_running_loop().time() + self.timeouts.read
        while not connection.handshaken:
            connection.receive_data(await self._receive(deadline, float("inf")))
            while connection.next_event() is not NEED_DATA:
                pass  # pings before any turn need no answer

    async def turn(
        self,
        records: Sequence[Record],
        *,
        on_sent: Callable[[], None] | None = None,
        stop: Record | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Send a turn's ``records`` (the invocation first) and yield its events, ending with
        :class:`~g4f.protocol.Final`.

        ``on_sent`` is called once they have been sent. If the turn fails or the caller stops
        early, ``stop`` (when the service has such a record) is sent, and the websocket closed.
        """
        ok = False
        try:
            await self._send(self.connection.send(Invocation.of(records)))
            if on_sent is not None:
                on_sent()  # the invocation id is used now, whatever becomes of the turn
            async for event in self._events():
                if isinstance(event, Final):
                    ok = True  # the turn is over: the connection is clean even if we stop here
                yield event
        finally:
            if not ok:
                await self._abandon(stop)
            if self.recorder is not None:
                await self.recorder.flush()

    async def _abandon(self, stop: Record | None) -> None:
        """End a turn that did not finish as the connection decides (:meth:`Connection.abandon
        <g4f.protocol.connection.Connection.abandon>`): send its stop if any, read until the
        acknowledgement within ``timeouts.stop``, close.

        This runs in a task of its own, shielded, so that a caller cancelled while leaving
        (an API client that disconnected) still stops the answer; every wait in it has a
        deadline.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._stop_and_close(stop))
        await asyncio.shield(self._closing)

    async def _stop_and_close(self, stop: Record | None) -> None:
        connection = self.connection
        with contextlib.suppress(G4FError):  # closing stops the answer too
            text = connection.abandon(None if self._ws.closed else stop)
            if text is not None:
                await self._send(text)
            deadline = asyncio.get_running_loop().time() + self.timeouts.stop
            while connection.next_event() is NEED_DATA and not connection.close_expected():
                connection.receive_data(await self._receive(deadline, deadline))
        await self._close_now()

    async def _events(self) -> AsyncGenerator[Event, None]:
        connection = self.connection
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeouts.read
        turn_deadline = loop.time() + self.timeouts.turn
        progress = 0
        while True:
            event = connection.next_event()
            if event is NEED_DATA:
                if connection.progress != progress:  # pings alone are no progress
                    progress = connection.progress
                    deadline = loop.time() + self.timeouts.read
                connection.receive_data(await self._receive(deadline, turn_deadline))
            elif isinstance(event, Ping):
                await self._ping()
            else:
                yield event
                if isinstance(event, Final):
                    return

    async def _ping(self) -> None:
        """Send a keep-alive ping, at most one per ``ping_interval``.

        Server pings are answered through this too; the limit keeps a server that answers
        pings with pings from starting an endless exchange.
        """
        now = asyncio.get_running_loop().time()
        if now - self._last_ping >= self.timeouts.ping_interval:
            self._last_ping = now
            await self._send(self.connection.send(KeepAlive()))

    async def _send(self, text: str) -> None:
        if self.recorder is not None:
            self.recorder.record("send", text)
        try:
            await self._ws.send_str(text)
            return
        except (ConnectionError, aiohttp.ClientError) as exc:
            lost = f"the ChatHub websocket closed while sending: {type(exc).__name__}"
            failure = caused_by(self.connection.connection_lost(lost), exc)
        raise failure  # outside the except: the original is no __context__ of it

    async def _receive(self, deadline: float, turn_deadline: float) -> str:
        """The next text message; sends keep-alive pings while waiting, until ``deadline`` (or
        the turn's own deadline, if sooner)."""
        text = await self._next_text(deadline, turn_deadline)
        if self.recorder is not None:
            self.recorder.record("recv", text)
        return text

    async def _next_text(self, deadline: float, turn_deadline: float) -> str:
        loop = asyncio.get_running_loop()
        connection = self.connection
        while True:
            remaining = min(deadline, turn_deadline) - loop.time()
            if remaining <= 0:
                raise connection.fail(self._timeout(turn_deadline <= deadline))
            try:
                message = await self._ws.receive(
                    timeout=min(remaining, self.timeouts.ping_interval)
                )
            except TimeoutError:
                if min(deadline, turn_deadline) - loop.time() > 0:
                    await self._ping()
                continue
            if message.type == aiohttp.WSMsgType.TEXT:
                return str(message.data)
            if message.type == aiohttp.WSMsgType.BINARY:
                return self._decoded(bytes(message.data))
            if message.type in _CLOSED_TYPES:
                raise connection.connection_lost(
                    "the server closed the websocket before the answer was complete"
                )
            raise self._failed(message)

    def _decoded(self, data: bytes) -> str:
        """A binary message's text; :class:`~g4f.errors.ProtocolError` if it is not UTF-8."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = ProtocolError("binary websocket message that is not UTF-8")
            failure = caused_by(self.connection.fail(error), exc)
        raise failure

    def _timeout(self, whole_turn: bool) -> TimeoutException:
        if whole_turn:
            return TurnTimeout(f"the turn did not end within {self.timeouts.turn:g}s")
        if self.connection.progress:
            return ResponseTimeout(
                f"the server sent nothing more for {self.timeouts.read:g}s, "
                f"after {self.connection.progress} record(s) of the turn"
            )
        return ResponseTimeout(f"the server sent nothing for the turn in {self.timeouts.read:g}s")

    def _failed(self, message: aiohttp.WSMessage) -> G4FError:
        """The error for a websocket that failed (an ``ERROR`` message)."""
        error = message.data if isinstance(message.data, BaseException) else self._ws.exception()
        if (
            isinstance(error, aiohttp.WebSocketError)
            and error.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        ):
            return self.connection.fail(
                ProtocolError(
                    "the server sent a websocket message larger than "
                    f"{self.limits.max_message_bytes} bytes"
                )
            )
        detail = f"{type(error).__name__}: {error}" if error is not None else "no reason given"
        return self.connection.connection_lost(f"the websocket failed ({detail})")
