"""The websockets a ChatHub client keeps open between the turns of its conversations.

A conversation's next turn over a kept websocket costs one round trip instead of an upgrade
and a handshake. The pool is bounded: past ``max_idle`` kept websockets, the least recently
used is closed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Protocol, TypeVar

__all__ = ["Closable", "SocketPool"]


class Closable(Protocol):
    """What the pool needs of a websocket."""

    @property
    def closed(self) -> bool:
        """Whether it is closed (e.g. the server closed it while it was idle)."""
        ...

    async def aclose(self) -> None:
        """Close it."""
        ...


S = TypeVar("S", bound=Closable)


class SocketPool(Generic[S]):
    """Open websockets by conversation id, least recently used first; at most ``max_idle``.

    A websocket is in the pool only while no turn uses it: :meth:`get` takes it out for a
    turn, :meth:`keep` puts it back after the turn.
    """

    def __init__(self, max_idle: int) -> None:
        if max_idle < 1:
            raise ValueError("max_idle_connections must be at least 1")
        self.max_idle = max_idle
        self._idle: OrderedDict[str, S] = OrderedDict()

    def __len__(self) -> int:
        return len(self._idle)

    def __repr__(self) -> str:
        return f"SocketPool(kept={len(self._idle)}, max_idle={self.max_idle})"

    def get(self, key: str) -> S | None:
        """Take the websocket kept for ``key`` out of the pool: ``None`` if there is none, or
        if it was closed while idle."""
        socket = self._idle.pop(key, None)
        return None if socket is None or socket.closed else socket

    async def keep(self, key: str, socket: S) -> None:
        """Keep ``socket`` for ``key``'s next turn, as the most recently used; close the
        least recently used ones past ``max_idle``.

        Another websocket already kept for ``key`` (two turns of one conversation ran at
        once) is closed: one is enough."""
        if self._idle.get(key) is not socket:
            await self.discard(key)
        self._idle[key] = socket
        self._idle.move_to_end(key)
        while len(self._idle) > self.max_idle:
            _, oldest = self._idle.popitem(last=False)
            await oldest.aclose()

    async def discard(self, key: str) -> None:
        """Close and forget the websocket kept for ``key``, if any."""
        socket = self._idle.pop(key, None)
        if socket is not None:
            await socket.aclose()

    async def close(self) -> None:
        """Close every kept websocket."""
        while self._idle:
            _, socket = self._idle.popitem()
            await socket.aclose()
