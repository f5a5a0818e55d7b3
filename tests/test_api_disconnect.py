"""A caller that disconnects stops the upstream turn (issue 21, points 1 and 2): whole answers
and streams, in-process and through uvicorn."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any, Literal

import httpx
import pytest

from g4f.api import create_app
from g4f.api.server import ApiThread
from g4f.engine.fake import FakeBackend, Step
from g4f.protocol import Final, TextDelta

from .asgi import Message, lifespan

USER = [{"role": "user", "content": "Hi"}]
HELLO: list[Step] = [TextDelta("Hello"), Final("Hello")]


class Gate(asyncio.Event):
    """A gate that tells when a turn reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.reached.set()
        return await super().wait()


def scope(path: str = "/v1/chat/completions") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"api.test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("api.test", 80),
        "state": {},
    }


async def leave_when(app: Any, body: dict[str, Any], gone: asyncio.Event) -> list[Message]:
    """POST ``body`` and disconnect once ``gone`` is set; what the app sent."""
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": json.dumps(body).encode()}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope(), receive, send), timeout=60)
    return sent


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


def test_a_caller_that_leaves_a_fast_stream_under_uvloop_stops_the_turn() -> None:
    uvloop = pytest.importorskip("uvloop")
    endless: list[Step] = [*(TextDelta("word ") for _ in range(500_000)), Final("…")]
    backend = FakeBackend(endless)
    with ApiThread(backend=backend, loop_factory=uvloop.new_event_loop) as url:
        host, port = url.removeprefix("http://").split(":")
        body = json.dumps({"messages": USER, "stream": True}).encode()
        with socket.create_connection((host, int(port)), timeout=60) as caller:
            caller.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nhost: api.test\r\n"
                b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            assert caller.recv(65536).startswith(b"HTTP/1.1 200")
        deadline = time.monotonic() + 60
        while backend.stopped == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert backend.stopped == 1  # stopped, not played to its Final
