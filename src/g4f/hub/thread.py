"""Running the hub in a background thread, for sync code (the seed's API, tests, scripts)."""

from __future__ import annotations

import contextlib
from types import TracebackType

from ..sync import LoopThread
from .server import Hub, running_hub

__all__ = ["HubThread"]


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
        self._thread: LoopThread | None = None
        self._serving: contextlib.AsyncExitStack | None = None
        self.url = ""
        """The hub's base URL, once started."""

    def start(self) -> str:
        """Start serving; return the base URL (a failed start raises here, e.g. a busy port)."""
        thread = LoopThread("g4f-hub")
        serving = contextlib.AsyncExitStack()
        try:
            self.url = thread.run(
                serving.enter_async_context(running_hub(self.hub, host=self._host, port=self._port))
            )
        except BaseException:
            thread.stop()
            raise
        self._thread, self._serving = thread, serving
        return self.url

    def stop(self) -> None:
        """Stop serving and join the thread."""
        thread, serving = self._thread, self._serving
        self._thread = self._serving = None
        if thread is not None and serving is not None:
            try:
                thread.run(serving.aclose())
            finally:
                thread.stop()

    def wait_closed(self, timeout: float | None = None, at_most: int = 0) -> None:
        """Block until the hub has at most ``at_most`` open websockets (see
        :meth:`Hub.wait_closed`; a client keeps idle ones open between turns).

        ``timeout`` bounds the wait (``TimeoutError`` past it); ``None`` waits as long as it takes.
        """
        if self._thread is not None:
            self._thread.run(self.hub.wait_closed(at_most), timeout)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
