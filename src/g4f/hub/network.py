"""The hub's network model: every message in each direction arrives a fixed one-way time later.

Messages in flight overlap, as on a real link: a message sent 10 ms after another arrives 10 ms
after it, not one delay after it. Round trip time RTT = 2 × the one-way delay.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["DelayLine"]

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
