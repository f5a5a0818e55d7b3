"""A sync bridge over async generators, safe inside a running event loop (a notebook)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

__all__ = ["iterate_sync"]

T = TypeVar("T")


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
    await asyncio.get_running_loop().shutdown_asyncgens()


def _iterate_in_thread(agen: AsyncIterator[T]) -> Iterator[T]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="g4f-sync-bridge", daemon=True)
    thread.start()
    step = _Step()
    try:
        while True:
            future = asyncio.run_coroutine_threadsafe(_tracked_next(agen, step), loop)
            try:
                item = future.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        try:
            asyncio.run_coroutine_threadsafe(_cancel_and_close(agen, step), loop).result()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
