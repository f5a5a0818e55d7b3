"""Sync code over async code: an event loop in a thread of its own (:class:`LoopThread`, used
by the hub's and the API server's threads too), and a sync bridge over async generators that is
safe inside a running event loop (a notebook)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["LoopThread", "iterate_sync"]

T = TypeVar("T")


class LoopThread:
    """An event loop running in a daemon thread of its own, until :meth:`stop`.

    Example::

        loop = LoopThread("g4f-example")
        try:
            assert loop.run(asyncio.sleep(0, "done")) == "done"
        finally:
            loop.stop()
    """

    def __init__(
        self,
        name: str,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    ) -> None:
        self.loop = loop_factory()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coroutine`` on the loop; its future can be waited on from any thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the loop and return its result (``TimeoutError`` past
        ``timeout`` seconds, the coroutine then cancelled)."""
        future = self.submit(coroutine)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        """Finish the loop's async generators, stop it, join the thread and close the loop."""
        if not self._thread.is_alive():
            return
        try:
            self.run(self.loop.shutdown_asyncgens())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self.loop.close()


async def _next(agen: AsyncIterator[T]) -> T:
    return await agen.__anext__()


async def _close(agen: AsyncIterator[T]) -> None:
    aclose = getattr(agen, "aclose", None)
    if aclose is not None:
        await aclose()


def iterate_sync(agen: AsyncIterator[T]) -> Iterator[T]:
    """Iterate ``agen`` from sync code, one item at a time, as the caller asks for them.

    With no event loop running in this thread, a private loop runs here; inside a running loop,
    a private loop runs in a helper thread. Either way the generator is closed and the loop shut
    down when iteration ends, fails or is abandoned (``close()`` on the returned iterator).

    >>> async def numbers():
    ...     yield 1
    ...     yield 2
    >>> list(iterate_sync(numbers()))
    [1, 2]
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _iterate_here(agen)
    return _iterate_in_thread(agen)


def _iterate_here(agen: AsyncIterator[T]) -> Iterator[T]:
    # asyncio.Runner cancels the running step on Ctrl-C, so the generator's cleanup runs.
    with asyncio.Runner() as runner:
        try:
            while True:
                try:
                    item = runner.run(_next(agen))
                except StopAsyncIteration:
                    return
                yield item
        finally:
            runner.run(_close(agen))


class _Step:
    """The task currently advancing the generator in the helper loop, so it can be cancelled."""

    task: asyncio.Task[object] | None = None


async def _tracked_next(agen: AsyncIterator[T], step: _Step) -> T:
    step.task = asyncio.current_task()
    return await agen.__anext__()


async def _cancel_and_close(agen: AsyncIterator[T], step: _Step) -> None:
    task = step.task
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    await _close(agen)


def _iterate_in_thread(agen: AsyncIterator[T]) -> Iterator[T]:
    thread = LoopThread("g4f-sync-bridge")
    step = _Step()
    try:
        while True:
            try:
                item = thread.run(_tracked_next(agen, step))
            except StopAsyncIteration:
                return
            yield item
    finally:
        try:
            thread.run(_cancel_and_close(agen, step))
        finally:
            thread.stop()
