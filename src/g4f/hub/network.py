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
        self._reader: asyncio.Task[None] | None = None
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
        """The client's text messages, each one latency after it was sent."""
        if not self.latency:
            async for message in self.ws:
                if message.type == WSMsgType.TEXT:
                    yield message.data
            return
        line: DelayLine[str | None] = DelayLine(self.latency)
        self._reader = asyncio.create_task(self._read_loop(line))
        while (text := await line.get()) is not None:
            yield text

    async def _read_loop(self, line: DelayLine[str | None]) -> None:
        try:
            async for message in self.ws:
                if message.type == WSMsgType.TEXT:
                    line.put(message.data)
        finally:
            line.put(None)

    async def close(self) -> None:
        """Deliver what is in flight, then close cleanly."""
        await self._flush()
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
        """End the wire's helper tasks (the handler is returning)."""
        await self._flush()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
