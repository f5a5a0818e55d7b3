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
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from .middleware import ASGIApp, Receive, Scope, Send

__all__ = [
    "STOPPING_MESSAGE",
    "CallerGone",
    "ServerStopping",
    "Watch",
    "current_watch",
    "unless_disconnected",
    "watched",
    "watching",
]

STOPPING_MESSAGE = "The server is stopping; send the request again (to it once it is back)."
"""What a turn cut by the server's stop is told (a 503, or the stream's last event)."""

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


@dataclass(frozen=True, slots=True)
class Watch:
    """What the work of one request watches: its caller's ``receive`` (for the disconnect)
    and the server's ``stopping`` event."""

    receive: Receive
    stopping: asyncio.Event


_WATCH: ContextVar[Watch | None] = ContextVar("g4f_api_watch", default=None)


def current_watch() -> Watch | None:
    """The watch of the request being served (``None`` outside one)."""
    return _WATCH.get()


def watched(app: ASGIApp, stopping: asyncio.Event) -> ASGIApp:
    """``app`` with each HTTP request's :class:`Watch` set, for :func:`watching` (the turn
    runner's) to find without every handler passing ``receive`` along."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        token = _WATCH.set(Watch(receive, stopping))
        try:
            await app(scope, receive, send)
        finally:
            _WATCH.reset(token)

    return middleware


async def watching(work: Coroutine[Any, Any, T]) -> T:
    """``work``, cancelled if the request's caller disconnects (:class:`CallerGone`) or the
    server begins to stop (:class:`ServerStopping`); outside a request, simply ``work``."""
    watch = _WATCH.get()
    if watch is None:
        return await work
    return await unless_disconnected(watch.receive, work, watch.stopping)
