"""Driving the API's ASGI app in-process, with no server and no socket: its lifespan, requests
through httpx's ASGI transport, callers who leave (mid-stream or once a turn reaches a
:class:`Gate`), and the scope of such a request."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Literal

import httpx

from g4f.api import ApiSettings, create_app
from g4f.api.store import ConversationStore
from g4f.engine.backend import Backend

Message = MutableMapping[str, Any]


class Gate(asyncio.Event):
    """A scripted turn's gate (a :class:`~g4f.engine.fake.FakeBackend` step) that also says
    when the turn reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.reached.set()
        return await super().wait()


def http_scope(path: str = "/v1/chat/completions") -> dict[str, Any]:
    """The ASGI scope of a JSON ``POST`` to ``path``."""
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


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """``app`` started (its lifespan's startup done) for the block, then shut down."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    running = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    try:
        started = await outbox.get()
        assert started["type"] == "lifespan.startup.complete", started
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        stopped = await outbox.get()
        await running
    assert stopped["type"] == "lifespan.shutdown.complete", stopped


@contextlib.asynccontextmanager
async def api(
    backend: Backend | None,
    settings: ApiSettings | None = None,
    store: ConversationStore | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API over ``backend`` (``None``: the one ``settings`` build) and
    ``store`` (``None``: the one ``settings`` name), served in-process (a bug of the app is its
    500 answer, as a server would send it, not an exception in the test)."""
    app = create_app(settings, backend=backend, store=store)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=transport, base_url="http://api.test") as client,
    ):
        yield client


async def leave_while_streaming(
    app: Any, body: dict[str, Any], leave: Callable[[bytes], bool]
) -> tuple[int, bytes]:
    """POST ``body`` to the chat completions and disconnect as soon as ``leave(body so far)``;
    the status and what had arrived."""
    received: list[bytes] = []
    status = 0
    gone = asyncio.Event()

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            received.append(message.get("body", b""))
            if leave(b"".join(received)):
                gone.set()

    await asyncio.wait_for(app(http_scope(), _request_then_leave(body, gone), send), 60)
    return status, b"".join(received)


async def leave_when(
    app: Any, body: dict[str, Any], gone: asyncio.Event, path: str = "/v1/chat/completions"
) -> list[Message]:
    """POST ``body`` to ``path`` and disconnect once ``gone`` is set; what the app sent."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(http_scope(path), _request_then_leave(body, gone), send), 60)
    return sent


def _request_then_leave(
    body: dict[str, Any], gone: asyncio.Event
) -> Callable[[], Awaitable[Message]]:
    """An ASGI ``receive``: the request with ``body`` as JSON, then a disconnect once ``gone``
    is set."""
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": json.dumps(body).encode()}
        await gone.wait()
        return {"type": "http.disconnect"}

    return receive
