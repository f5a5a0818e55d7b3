"""How the hub plays a hostile server: never answering, never finishing, flooding. Each keeps a
connection busy until its client leaves, at most :data:`~g4f.hub.steps.HOSTILE_SECONDS`."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from ..network import Wire
from ..steps import HOSTILE_SECONDS, Repeat

__all__ = ["endless_response", "repeat", "until_gone"]


async def until_gone(request: web.Request) -> None:
    """Wait until the client has closed its connection (at most :data:`HOSTILE_SECONDS`)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + HOSTILE_SECONDS
    while loop.time() < end:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)


async def repeat(wire: Wire, step: Repeat) -> None:
    """Send ``step.text`` over and over until the client leaves or the step's time is up."""
    loop = asyncio.get_running_loop()
    end = loop.time() + step.seconds
    while loop.time() < end:
        await wire.send(step.text)  # raises ConnectionError once the client is gone
        await asyncio.sleep(step.interval)


async def endless_response(request: web.Request, piece: str) -> web.StreamResponse:
    """A response whose body never ends (until the client leaves, or the time is up)."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    data = piece.encode()
    loop = asyncio.get_running_loop()
    end = loop.time() + HOSTILE_SECONDS
    with contextlib.suppress(ConnectionError):
        while loop.time() < end:
            await response.write(data)
    return response
