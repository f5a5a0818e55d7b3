"""The hub's network model: every message in each direction arrives a fixed one-way time later.

Messages in flight overlap, as on a real link: a message sent 10 ms after another arrives 10 ms
after it, not one delay after it. Round trip time RTT = 2 × the one-way delay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from aiohttp import WSMsgType, web

__all__ = ["DelayLine", "Wire"]

T = TypeVar("T")


class DelayLine(Generic[T]):
    """A FIFO whose items become available ``delay`` seconds after they were put.

    ``clock`` and ``sleep`` default to the running loop's and can be replaced (tests use a
    virtual clock).

    Example::

        line = DelayLine(0.05)
        line.put("hello")
        assert await line.get() == "hello"   # 50 ms later
    """

    def __init__(
        self,
        delay: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if delay < 0:
            raise ValueError("delay must be >= 0")
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._items: deque[tuple[float, T]] = deque()
        self._ready = asyncio.Event()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
        """Send ``item``; it arrives ``delay`` seconds from now."""
        self._items.append((self._now() + self.delay, item))
        self._ready.set()

    async def get(self) -> T:
        """The next item, once it has arrived (in the order they were put)."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        due, item = self._items[0]
        wait = due - self._now()
        if wait > 0:
            await self._sleep(wait)
        self._items.popleft()
        return item


class Wire:
    """The hub's end of one websocket, through the network model when ``latency`` > 0."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, latency: float) -> None:
        self.ws, self.request, self.latency = ws, request, latency
        self._out: DelayLine[str | None] | None = DelayLine(latency) if latency else None
        self._sender: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[object] | None = None  # what :meth:`close` stops
        self._closing: asyncio.Task[None] | None = None
        self._broken = False

    async def send(self, text: str) -> None:
        """Send a message (it arrives one latency later)."""
        if self._broken:
            raise ConnectionResetError("the client is gone")
        if self._out is None:
            await self.ws.send_str(text)
            return
        self._out.put(text)
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_loop(self._out))

    async def _send_loop(self, line: DelayLine[str | None]) -> None:
        while (text := await line.get()) is not None:
            try:
                await self.ws.send_str(text)
            except ConnectionError:
                self._broken = True
                return

    async def messages(self) -> AsyncIterator[str]:
        """The client's text messages, each one latency after it was sent.

        They are received in a task of the wire's own, which :meth:`close` stops before it
        closes. Without latency nothing is received before it is asked for (a client's close
        waits while the side plays a turn, as before); with it, messages arrive on their own.
        """
        if not self.latency:
            while (text := await self._next_message()) is not None:
                yield text
            return
        line: DelayLine[str | None] = DelayLine(self.latency)
        self._reader = asyncio.create_task(self._read_loop(line))
        while (text := await line.get()) is not None:
            yield text

    async def _next_message(self) -> str | None:
        """The client's next text message; ``None`` once the websocket closes or :meth:`close`
        stopped the receiving."""
        receiving = asyncio.create_task(self._receive_text())
        self._reader = receiving
        try:
            return await receiving
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closing is None or (task is not None and task.cancelling()):
                raise  # this task itself is cancelled
            return None

    async def _receive_text(self) -> str | None:
        while True:
            message = await self.ws.receive()
            if message.type == WSMsgType.TEXT:
                return str(message.data)
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return None

    async def _read_loop(self, line: DelayLine[str | None]) -> None:
        try:
            async for message in self.ws:
                if message.type == WSMsgType.TEXT:
                    line.put(message.data)
        finally:
            line.put(None)

    async def close(self) -> None:
        """Deliver what is in flight, then close cleanly: the close frame, then the client's
        answer to it (what the client sends meanwhile is dropped), and only then the TCP
        connection (aiohttp's close timeout bounds the wait).

        The reading of :meth:`messages` is stopped first: aiohttp's ``close()`` called while
        another task waits in ``receive()`` drops the connection at once, and a client still
        sending (a late answer to a ping) then gets a TCP reset, which makes its kernel discard
        what it had received and not yet read — the end of the answer. The close runs in a task
        of its own, so that the side cancelling the task that asked for it (its client's
        messages ended) does not cut it short; :meth:`finish` waits for it.
        """
        if self._closing is None:
            self._closing = asyncio.create_task(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        await self._flush()
        await self._stop_reading()
        await self.ws.close()

    async def abort(self) -> None:
        """Drop the connection without a close frame, after what is in flight."""
        await self._flush()
        if self.request.transport is not None:
            self.request.transport.abort()

    async def _flush(self) -> None:
        if self._sender is not None and self._out is not None:
            self._out.put(None)
            await self._sender
            self._sender = None

    async def finish(self) -> None:
        """End the wire's helper tasks (the handler is returning), a close once it is done."""
        try:
            await self._wait_for_close()
        finally:
            await self._flush()
            await self._stop_reading()

    async def _wait_for_close(self) -> None:
        """Wait for a close under way, unless the handler was cancelled (the hub is stopping:
        then the close is cut short instead of waiting for the client's answer)."""
        closing, task = self._closing, asyncio.current_task()
        if closing is None:
            return
        stopping = task is not None and task.cancelling() > 0
        if stopping:
            closing.cancel()
        try:
            await closing
        except ConnectionError:
            pass
        except asyncio.CancelledError:
            if not stopping:  # the handler is being cancelled now
                raise

    async def _stop_reading(self) -> None:
        reader = self._reader
        if reader is not None and not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
