"""Noticing that a caller has gone: a task that listens on ASGI's ``receive()`` for
``http.disconnect`` and cancels the work done for that caller.

Starlette's own watch (a cancel scope over the response) cancels a task only when the task is
waiting on a future that is not yet done; a stream whose upstream always has the next part
ready is never waiting so, and under uvloop it was never cancelled (issue 21, point 2). An
``asyncio`` cancellation reaches the task at its next step whatever it waits on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from .middleware import Receive

__all__ = ["CallerGone", "ServerStopping", "unless_disconnected"]

T = TypeVar("T")


class CallerGone(Exception):
    """The caller disconnected before the work for it was done (the work was cancelled)."""


class ServerStopping(Exception):
    """The server began to stop before the work was done (the work was cancelled)."""


async def _disconnect(receive: Receive) -> None:
    """Return when ``receive()`` says the caller disconnected (any body left is skipped)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def unless_disconnected(
    receive: Receive, work: Coroutine[Any, Any, T], stopping: asyncio.Event | None = None
) -> T:
    """``work``'s result; :class:`CallerGone` if the caller disconnected first, or
    :class:`ServerStopping` if ``stopping`` was set first (``work`` is then cancelled, and has
    finished, when this returns)."""
    task = asyncio.ensure_future(work)
    listener = asyncio.ensure_future(_disconnect(receive))
    stop = asyncio.ensure_future((stopping or asyncio.Event()).wait())
    try:
        await asyncio.wait({task, listener, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (listener, stop, task):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending
    if task.cancelled():
        if stop.done() and not stop.cancelled():
            raise ServerStopping("the server is stopping")
        raise CallerGone("the caller disconnected")
    return task.result()
