"""Running the API server with uvicorn: in the foreground, or in a thread for tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
from types import TracebackType

import uvicorn

from ..sync import LoopThread
from .app import ApiSettings, create_app

__all__ = ["ApiThread", "run", "serve"]


def _no_delay_protocol() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol with Nagle's algorithm off.

    Without TCP_NODELAY, each small SSE chunk after the first waits for the client's delayed
    ACK (~40 ms on Linux): every streamed token would be late by that much.
    """
    base: type[asyncio.Protocol]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    class NoDelayProtocol(base):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)

    return NoDelayProtocol


def _config(settings: ApiSettings, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=5,
        http=_no_delay_protocol(),
    )


async def serve(
    settings: ApiSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 1337,
    log_level: str = "info",
) -> None:
    """Serve the API until cancelled (or until uvicorn receives a signal)."""
    await uvicorn.Server(_config(settings, host, port, log_level)).serve()


def run(
    settings: ApiSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 1337,
    log_level: str = "info",
) -> None:
    """Serve the API in the foreground until interrupted, on uvloop when it is installed
    (the ``api`` extra installs it and httptools: together several times the throughput)."""
    loop_factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(settings, host=host, port=port, log_level=log_level))


class ApiThread:
    """The API server in a background thread on a free loopback port; yields its base URL.

    The listening socket is bound before the thread starts, so requests made right away wait
    in its backlog until the server accepts them.
    """

    def __init__(self, settings: ApiSettings | None = None, *, host: str = "127.0.0.1") -> None:
        self.settings = settings or ApiSettings()
        self._host = host
        self._server: uvicorn.Server | None = None
        self._thread: LoopThread | None = None
        self._serving: concurrent.futures.Future[None] | None = None
        self.url = ""

    def start(self) -> str:
        """Start serving; return ``http://host:port``."""
        sock = socket.create_server((self._host, 0))
        self.url = f"http://{self._host}:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(_config(self.settings, self._host, 0, "warning"))
        self._thread = LoopThread("g4f-api")
        self._serving = self._thread.submit(self._server.serve(sockets=[sock]))
        return self.url

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._serving is not None:
            try:
                self._serving.result()
            finally:
                self._thread.stop()
                self._thread = self._serving = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
