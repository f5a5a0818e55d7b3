"""What a side of the hub (one service's routes and state) and the app composing the sides
(:class:`~g4f.hub.Hub`) need of each other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiohttp import web

from .network import Wire
from .responder import Responder

__all__ = ["Host", "Side"]


class Host(Protocol):
    """What a side needs of the hub that serves it: the answers, the pace and the network
    model, which every side shares, and the websocket bookkeeping."""

    pace: float
    latency: float
    responder: Responder

    def serve_websocket(
        self, request: web.Request, serve: Callable[[Wire], Awaitable[None]]
    ) -> Awaitable[web.StreamResponse]:
        """Upgrade ``request`` and run ``serve`` on its websocket, through the network model."""
        ...


class Side(Protocol):
    """One service's side of the hub."""

    @property
    def source(self) -> str:
        """The invocation ``source`` of this service's clients (how a recording is told apart)."""
        ...

    def add_routes(self, app: web.Application) -> None:
        """Serve this service's paths on ``app``."""
        ...

    def play_cassette(self, turns: Sequence[Sequence[str]]) -> None:
        """Replay these recorded turns from now on (turn *n* of a conversation plays turn *n*)."""
        ...
