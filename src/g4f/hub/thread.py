"""Running the hub in a background thread, for sync code (the seed's API, tests, scripts)."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from types import TracebackType

from .server import Hub, running_hub

__all__ = ["HubThread"]

log = logging.getLogger(__name__)


class HubThread:
    """The hub served from its own thread and event loop, on a free loopback port.

    Example::

        with HubThread(Hub()) as url:
            os.environ["G4F_BING_URL"] = url
            for token in _create_completion("gpt-4", messages, stream=True):
                print(token, end="")
    """

    def __init__(self, hub: Hub | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hub = hub or Hub()
        self._host, self._port = host, port
        self._url: Future[str] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The hub's base URL (waits until it is listening)."""
        return self._url.result()

    def start(self) -> str:
        """Start serving; return the base URL."""
        self._thread = threading.Thread(target=self._main, name="g4f-hub", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wait_closed(self, timeout: float | None = None) -> None:
        """Block until the hub has no open websocket (see :meth:`Hub.wait_closed`).

        ``timeout`` bounds the wait (``TimeoutError`` past it); ``None`` waits as long as it takes.
        """
        if self._loop is not None:
            future = asyncio.run_coroutine_threadsafe(self.hub.wait_closed(), self._loop)
            try:
                future.result(timeout)
            except TimeoutError:
                future.cancel()
                raise

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:
            if not self._url.done():  # a failed start: the caller of start() gets the error
                self._url.set_exception(exc)
            else:
                log.exception("the local hub stopped with an error")

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running_hub(self.hub, host=self._host, port=self._port) as url:
            self._url.set_result(url)
            await self._stop.wait()
