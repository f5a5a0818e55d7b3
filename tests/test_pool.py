"""The kept-websocket pool of the ChatHub engine (``g4f.engine.pool``), on stand-in sockets."""

from __future__ import annotations

import pytest

from g4f.engine.pool import SocketPool


class Socket:
    """A stand-in websocket: it only knows whether it was closed."""

    def __init__(self, name: str) -> None:
        self.name, self.closed = name, False

    async def aclose(self) -> None:
        self.closed = True


async def test_a_kept_socket_is_taken_out_for_the_next_turn() -> None:
    pool: SocketPool[Socket] = SocketPool(2)
    socket = Socket("a")
    await pool.keep("c1", socket)
    assert len(pool) == 1
    assert pool.get("c1") is socket
    assert (len(pool), pool.get("c1"), pool.get("nobody")) == (0, None, None)
    assert not socket.closed


async def test_past_max_idle_the_least_recently_used_is_closed() -> None:
    pool: SocketPool[Socket] = SocketPool(2)
    a, b, c = Socket("a"), Socket("b"), Socket("c")
    await pool.keep("c1", a)
    await pool.keep("c2", b)
    assert pool.get("c1") is a
    await pool.keep("c1", a)  # used again: now the most recent
    await pool.keep("c3", c)
    assert (a.closed, b.closed, c.closed) == (False, True, False)
    assert len(pool) == 2 and pool.get("c2") is None


async def test_a_socket_closed_while_idle_is_not_given_out() -> None:
    pool: SocketPool[Socket] = SocketPool(4)
    socket = Socket("a")
    await pool.keep("c1", socket)
    socket.closed = True  # the server closed it
    assert pool.get("c1") is None
    assert len(pool) == 0


async def test_a_second_socket_for_one_conversation_replaces_the_first() -> None:
    pool: SocketPool[Socket] = SocketPool(4)
    first, second = Socket("first"), Socket("second")
    await pool.keep("c1", first)
    await pool.keep("c1", second)
    await pool.keep("c1", second)  # keeping the same one again closes nothing
    assert (first.closed, second.closed, len(pool)) == (True, False, 1)
    assert pool.get("c1") is second


async def test_discard_and_close_close_what_is_kept() -> None:
    pool: SocketPool[Socket] = SocketPool(4)
    sockets = [Socket(str(i)) for i in range(3)]
    for number, socket in enumerate(sockets):
        await pool.keep(f"c{number}", socket)
    await pool.discard("c0")
    await pool.discard("nobody")
    assert [s.closed for s in sockets] == [True, False, False] and len(pool) == 2
    await pool.close()
    assert all(s.closed for s in sockets) and len(pool) == 0


def test_the_pool_keeps_at_least_one() -> None:
    with pytest.raises(ValueError, match="max_idle_connections must be at least 1"):
        SocketPool(0)
