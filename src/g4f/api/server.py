"""Running the API server with uvicorn: in the foreground, or in a thread for tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import multiprocessing
import multiprocessing.process
import signal
import socket
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

import uvicorn

from ..engine.backend import Backend
from ..sync import LoopThread
from .app import create_app
from .crash import enable_crash_reports
from .middleware import error_body
from .settings import ApiSettings

__all__ = ["ApiThread", "exit_status", "listen", "run", "run_workers", "serve"]


LINGER = 2.0
"""Seconds a refused connection is kept half-closed, its input drained, before it is closed."""


def _reject(transport: asyncio.BaseTransport, status: int, reason: str, message: str) -> None:
    """Answer ``status`` with an OpenAI-shaped body and close (before any request is parsed).

    The close lingers, as HTTP servers' do (RFC 9112 §9.6): the answer is followed by a
    half-close, what the client still sends is read and dropped, and the connection is closed
    :data:`LINGER` seconds later (or when the client closes). Closing at once with the client's
    data unread would send a reset, and a reset makes the client's kernel discard the answer it
    has not read yet."""
    body = json.dumps(error_body(message, code=reason.lower().replace(" ", "_"))).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    if not isinstance(transport, asyncio.WriteTransport) or not transport.can_write_eof():
        if isinstance(transport, asyncio.WriteTransport):
            transport.write(head + body)
        transport.close()
        return
    transport.write(head + body)
    transport.write_eof()
    asyncio.get_running_loop().call_later(LINGER, transport.close)


if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
else:
    _HttpProtocol = object  # the real base is imported when a server starts (see _protocol)


class _GuardedHeaders(_HttpProtocol):
    """What :func:`_protocol` adds to httptools' protocol: TCP_NODELAY and the header guard,
    with the limits of the class it is mixed into (``limit`` bytes, ``deadline`` seconds)."""

    limit = 32 * 1024
    deadline = 10.0
    _header_bytes = 0
    _headers_done = False
    _rejected = False
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._start_header_timer()

    def data_received(self, data: bytes) -> None:
        if self._rejected:
            return  # the answer was sent: the rest is drained until the connection closes
        if not self._headers_done:
            end = data.find(b"\r\n\r\n")
            self._header_bytes += end + 4 if end >= 0 else len(data)
            if self._header_bytes > self.limit:
                self._stop_header_timer()
                message = f"The request line and headers are larger than {self.limit} bytes."
                self._rejected = True
                _reject(self.transport, 431, "Request Header Fields Too Large", message)
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._stop_header_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._headers_done, self._header_bytes = False, 0  # what comes next is a new request

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        if self._header_timer is None:
            loop = asyncio.get_running_loop()
            self._header_timer = loop.call_later(self.deadline, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self._headers_done:
            message = f"The request headers did not arrive within {self.deadline:g} s."
            self._rejected = True
            _reject(self.transport, 408, "Request Timeout", message)


def _protocol(settings: ApiSettings) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol with Nagle's algorithm off and a guard on request headers.

    Without TCP_NODELAY, each small SSE chunk after the first waits for the client's delayed
    ACK (~40 ms on Linux): every streamed token would be late by that much. The guard answers
    431 to a request line and headers longer than ``max_header_bytes`` and 408 to headers not
    complete within ``header_timeout`` seconds, so slow or huge headers cannot hold memory or
    connections. (httptools' parser is what tells where headers end; the api extra installs it.)
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedProtocol(_GuardedHeaders, HttpToolsProtocol):
        limit = settings.http.max_header_bytes
        deadline = settings.http.header_timeout

    return GuardedProtocol


def _config(
    settings: ApiSettings,
    host: str,
    port: int,
    log_level: str,
    backend: Backend | None = None,
    stopping: asyncio.Event | None = None,
) -> uvicorn.Config:
    http = settings.http
    return uvicorn.Config(
        create_app(settings, backend=backend, stopping=stopping),
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=5,
        http=_protocol(settings),
        limit_concurrency=http.max_connections,
        timeout_keep_alive=max(1, round(http.keep_alive)),
        h11_max_incomplete_event_size=http.max_header_bytes,
    )


def listen(host: str, port: int) -> socket.socket:
    """The listening socket for ``host:port``; ``OSError`` saying why not (a busy port)."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is not between 0 and 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _return_large_buffers() -> None:
    """Have glibc map large buffers (request bodies, upstream messages up to ``Limits``) on their
    own, so that memory freed after a burst goes back to the system. By default glibc raises that
    threshold after the first large buffer is freed, and a burst of big messages then stays
    resident for the life of the process (measured: benchmarks/RESULTS.md, chaos soak)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        m_mmap_threshold = -3  # glibc's mallopt parameter
        ctypes.CDLL("libc.so.6").mallopt(m_mmap_threshold, 128 * 1024)


def _raise_file_limit(settings: ApiSettings) -> None:
    """Let the process hold every connection it may serve: each stream needs the caller's
    socket and an upstream websocket."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 2 * settings.http.max_connections + 2 * settings.upstream.idle_websockets + 64
        if soft != resource.RLIM_INFINITY and soft < wanted:
            ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


class _Server(uvicorn.Server):
    """uvicorn's server, stopping gracefully: on SIGINT or SIGTERM, ``stopping`` is set (the
    turns still running end at once, a stream with an error event saying the server stops)
    and the signal is remembered in :attr:`signals` instead of being raised again after the
    shutdown (which, under ``asyncio.Runner``, made Ctrl-C exit 0)."""

    def __init__(self, config: uvicorn.Config, stopping: asyncio.Event) -> None:
        super().__init__(config)
        self.stopping = stopping
        self.signals: list[int] = []
        """The signals that stopped the server, in order."""
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets=sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        # Reported by run()'s exit status, not raised again when the handlers are restored.
        self._captured_signals.clear()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.signals.append(sig)
        super().handle_exit(sig, frame)
        self.begin_stopping()

    def begin_stopping(self) -> None:
        """Set ``stopping`` on the server's loop (from a signal handler or another thread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.stopping.set)


def _server(
    settings: ApiSettings, host: str, port: int, log_level: str, backend: Backend | None = None
) -> _Server:
    stopping = asyncio.Event()
    return _Server(_config(settings, host, port, log_level, backend, stopping), stopping)


def exit_status(signals: Sequence[int]) -> int:
    """The exit status of a server stopped by ``signals``: 128 + the last one (130 for
    SIGINT, 143 for SIGTERM), as a shell reports a process a signal ended; else 0."""
    return 128 + signals[-1] if signals else 0


async def serve(
    settings: ApiSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 1337,
    log_level: str = "info",
    sock: socket.socket | None = None,
) -> int:
    """Serve the API until cancelled or signalled, on ``sock`` if given (see :func:`listen`),
    else on ``host:port``; the exit status (:func:`exit_status`)."""
    server = _server(settings, host, port, log_level)
    await server.serve(sockets=[sock] if sock is not None else None)
    return exit_status(server.signals)


def run(
    settings: ApiSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 1337,
    log_level: str = "info",
    sock: socket.socket | None = None,
) -> int:
    """Serve the API in the foreground until interrupted, on uvloop when it is installed
    (the ``api`` extra installs it and httptools: together several times the throughput);
    the exit status (130 after SIGINT, 143 after SIGTERM)."""
    enable_crash_reports()  # a fatal signal leaves "Fatal Python error: …" in the log
    _raise_file_limit(settings)
    _return_large_buffers()
    loop_factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(serve(settings, host=host, port=port, log_level=log_level, sock=sock))


def run_workers(
    settings: ApiSettings,
    *,
    sock: socket.socket,
    host: str = "127.0.0.1",
    log_level: str = "info",
) -> int:
    """Serve with ``settings.workers`` processes sharing ``sock`` (the kernel spreads the
    connections); returns the exit status (0 when every worker ended cleanly).

    Each worker has its own upstream websockets; the conversation store is what they share
    (so it must be one several processes can use). Ctrl-C or SIGTERM stops them all.
    """
    port = sock.getsockname()[1]
    if settings.workers == 1:
        return run(settings, host=host, port=port, log_level=log_level, sock=sock)
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(
            target=run,
            args=(settings,),
            kwargs={"host": host, "port": port, "log_level": log_level, "sock": sock},
            name=f"g4f-api-worker-{n}",
        )
        for n in range(settings.workers)
    ]
    for worker in workers:
        worker.start()
    previous = signal.signal(signal.SIGTERM, lambda *_: _stop(workers))
    try:
        for worker in workers:
            worker.join()
    except KeyboardInterrupt:
        pass  # the workers got the same Ctrl-C and stop by themselves
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(workers)
    return 0 if all(w.exitcode in (0, -signal.SIGTERM) for w in workers) else 1


def _stop(workers: Sequence[multiprocessing.process.BaseProcess]) -> None:
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join(timeout=10)
        if worker.is_alive():
            worker.kill()
            worker.join()


class ApiThread:
    """The API server in a background thread on a free loopback port; yields its base URL.

    The listening socket is bound before the thread starts, so requests made right away wait
    in its backlog until the server accepts them. ``backend`` replaces the upstream the
    settings would build (as for :func:`~g4f.api.app.create_app`); ``loop_factory`` makes the
    thread's event loop (``uvloop.new_event_loop``, as ``g4f api`` runs).
    """

    def __init__(
        self,
        settings: ApiSettings | None = None,
        *,
        host: str = "127.0.0.1",
        backend: Backend | None = None,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    ) -> None:
        self.settings = settings or ApiSettings()
        self._loop_factory = loop_factory
        self._host = host
        self._backend = backend
        self._server: _Server | None = None
        self._thread: LoopThread | None = None
        self._serving: concurrent.futures.Future[None] | None = None
        self.url = ""

    def start(self) -> str:
        """Start serving; return ``http://host:port``."""
        sock = socket.create_server((self._host, 0))
        self.url = f"http://{self._host}:{sock.getsockname()[1]}"
        self._server = _server(self.settings, self._host, 0, "warning", self._backend)
        self._thread = LoopThread("g4f-api", self._loop_factory)
        self._serving = self._thread.submit(self._server.serve(sockets=[sock]))
        return self.url

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.begin_stopping()
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
