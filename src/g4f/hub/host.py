"""What a side of the hub (one service's routes and state) and the app composing the sides
(:class:`~g4f.hub.Hub`) need of each other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiohttp import web

from .network import Wire
from .responder import Responder

__all__ = ["Host", "Side", "bearer_token"]


class Host(Protocol):
    """What a side needs of the hub that serves it: the answers, the pace and the network
    model, which every side shares, and the websocket bookkeeping."""

    pace: float
    latency: float
    responder: Responder

    async def round_trip(self) -> None:
        """Wait as long as a request and its answer travel in the network model (2 × latency)."""
        ...

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


def bearer_token(request: web.Request) -> str | None:
    """The token of ``request``'s ``Authorization: Bearer …`` header, or ``None`` without one."""
    authorization = request.headers.get("Authorization", "")
    return authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
