"""A caller that disconnects stops the upstream turn (issue 21, points 1 and 2): whole answers
and streams, in-process and through uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any

import httpx
import pytest

from g4f.api import create_app
from g4f.api.events import EVENTS_PATH
from g4f.api.server import ApiThread
from g4f.engine.fake import FakeBackend, Step
from g4f.protocol import Event, Final, TextDelta
from g4f.protocol.conversation import Conversation

from .asgi import Gate, leave_when, lifespan

USER = [{"role": "user", "content": "Hi"}]
HELLO: list[Step] = [TextDelta("Hello"), Final("Hello")]


async def test_a_caller_that_leaves_before_a_whole_answer_stops_the_turn() -> None:
    gate = Gate()  # never opened: the upstream would keep the turn open until its deadline
    backend = FakeBackend([TextDelta("Hel"), gate, Final("Hello")], HELLO)
    app = create_app(backend=backend)
    async with lifespan(app):
        await leave_when(app, {"messages": USER}, gate.reached)
        assert backend.stopped == 1  # the turn was closed, not left waiting on the gate
        conversation_id = backend.asked[0].conversation_id
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            again = await client.post(
                "/v1/chat/completions",
                json={"messages": USER, "conversation_id": conversation_id},
            )
    assert again.status_code == 200  # the lease was given back
    assert again.json()["choices"][0]["message"]["content"] == "Hello"


async def test_a_caller_that_leaves_before_the_first_part_stops_a_stream() -> None:
    gate = Gate()
    backend = FakeBackend([gate, Final("Hello")])
    app = create_app(backend=backend)
    async with lifespan(app):
        await leave_when(app, {"messages": USER, "stream": True}, gate.reached)
    assert backend.stopped == 1


async def test_a_caller_that_leaves_before_the_first_event_stops_the_event_stream() -> None:
    gate = Gate()  # never opened: only the caller leaving can end the turn
    backend = FakeBackend([gate, Final("Hello")])
    app = create_app(backend=backend)
    async with lifespan(app):
        await leave_when(app, {"messages": USER}, gate.reached, path=EVENTS_PATH)
    assert backend.stopped == 1  # the upstream turn was closed, not left waiting on the gate


# -- An upstream always ready (issue 21, point 2) ------------------------------------------------
#
# What starved the loop: a turn whose next part is always ready, so the stream never waits on
# anything; uvicorn's send() of a chunk does not wait either while the socket takes it. Nothing
# then gives the loop a turn: not the caller's disconnect (read from the socket by the loop),
# not another request. The caller below is played by the upstream itself, in step with its
# parts (no thread, no clock): each part, it reads what the server sent it so far, and at a
# given part it does what the test needs (leave, ask /health). What it sees is thus decided
# by the parts the loop let other work run between, not by how fast anything is.

LOOPS = [
    pytest.param("asyncio", id="asyncio"),
    pytest.param("uvloop", id="uvloop"),
]
MANY = 100_000
"""Parts of an always-ready turn: what a starved loop plays to the end."""
AT = 1_000
"""The part at which the caller acts."""
SLACK = 10_000
"""Parts the server may still produce after the caller acted (a handful are needed)."""


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    if name == "uvloop":
        return pytest.importorskip("uvloop").new_event_loop  # type: ignore[no-any-return]
    return asyncio.new_event_loop


class Firehose(FakeBackend):
    """A turn of up to ``MANY`` deltas, every one ready at once: its generator never awaits.
    ``step(n)`` runs before the n-th part (in the server's thread); it returns ``True`` to end
    the turn there (with its final)."""

    def __init__(self, step: Callable[[int], bool]) -> None:
        super().__init__()
        self.produced = 0
        """Parts produced so far."""
        self.ended = threading.Event()
        """Set once the turn ended, played to its end or closed."""
        self._step = step

    async def ask(
        self, prompt: str, *, conversation: Conversation | None = None, **options: Any
    ) -> AsyncGenerator[Event, None]:
        finished = False
        try:
            while self.produced < MANY and not self._step(self.produced + 1):
                self.produced += 1
                yield TextDelta("word ")
            finished = True
            yield Final("word " * self.produced)
        finally:
            if not finished:
                self.stopped += 1
            self.ended.set()


class Caller:
    """A client socket, read without blocking from the server's own thread.

    The socket is non-blocking from the start, not switched after :meth:`send`: the server may
    run a step, and so a :meth:`read`, before the sending thread got that far, and a blocking
    read there stalls the server's loop until the socket's timeout (it did, once in a while).
    """

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.sock.setblocking(False)
        self.received = bytearray()

    def send(self, request: bytes) -> None:
        """Send ``request`` whole (a few hundred bytes fit an empty send buffer; were they not
        to, ``sendall`` would raise, not wait)."""
        self.sock.sendall(request)

    def read(self) -> None:
        """Take what the server sent so far (the first 64 KiB of it kept), never waiting."""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while data := self.sock.recv(65536):
                if len(self.received) < 65536:
                    self.received += data

    def reset(self) -> None:
        """Leave at once: the connection reset, as a killed client's is."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def stream_request() -> bytes:
    body = json.dumps({"messages": USER, "stream": True}).encode()
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: api.test\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )


@contextlib.contextmanager
def serving(backend: Firehose, loop: str) -> Iterator[str]:
    """The API on ``backend`` in a uvicorn of its own (``g4f api``'s protocol) on ``loop``."""
    with ApiThread(backend=backend, loop_factory=loop_factory(loop)) as url:
        yield url


@pytest.mark.parametrize("loop", LOOPS)
def test_a_caller_that_leaves_a_stream_always_ready_stops_the_turn(loop: str) -> None:
    callers: list[Caller] = []
    left_at: list[int] = []

    def step(n: int) -> bool:
        caller = callers[0]
        if left_at:
            return False
        caller.read()  # keeps up with the stream: the server's writes never have to wait
        if n == AT:
            caller.reset()
            left_at.append(n)
        return False

    backend = Firehose(step)
    try:
        with serving(backend, loop) as url:
            callers.append(Caller(url))
            callers[0].send(stream_request())
            assert backend.ended.wait(timeout=300)  # a bound for a broken server only
    finally:
        callers[0].close()
    assert callers[0].received.startswith(b"HTTP/1.1 200")
    assert left_at == [AT]
    # Noticed within a handful of parts; a starved loop plays all MANY of them.
    assert backend.produced < AT + SLACK, backend.produced
    assert backend.stopped == 1  # the upstream turn was closed, not played to its final


@pytest.mark.parametrize("loop", LOOPS)
def test_health_answers_while_a_stream_always_ready_runs(loop: str) -> None:
    callers: list[Caller] = []
    answered_at: list[int] = []
    urls: list[str] = []

    def step(n: int) -> bool:
        stream = callers[0]
        stream.read()
        if n == AT:
            health = Caller(urls[0])
            health.send(b"GET /health HTTP/1.1\r\nhost: api.test\r\nconnection: close\r\n\r\n")
            callers.append(health)
        elif n > AT:
            health = callers[1]
            health.read()
            if health.received.endswith(b"}") and not answered_at:
                answered_at.append(n)
        return bool(answered_at)  # the stream ends once /health has answered

    backend = Firehose(step)
    try:
        with serving(backend, loop) as url:
            urls.append(url)
            callers.append(Caller(url))
            callers[0].send(stream_request())
            assert backend.ended.wait(timeout=300)  # a bound for a broken server only
    finally:
        for caller in callers:
            caller.close()
    # /health was answered while the stream was still producing, before its last part.
    assert answered_at, f"/health unanswered during all {backend.produced} parts"
    assert answered_at[0] < MANY
    assert callers[1].received.startswith(b"HTTP/1.1 200")
    assert callers[1].received.endswith(b'{"status":"ok"}')
    assert backend.stopped == 0
