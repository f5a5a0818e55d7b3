"""The local hub: one aiohttp app composing a side per service — Bing's ChatHub
(:mod:`g4f.hub.bing`) and Microsoft 365 Copilot's (:mod:`g4f.hub.m365`) — for offline runs and
tests. The app owns what the sides share: the answers (a responder), the pace, the network
model and the websockets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from aiohttp import WSCloseCode, web

from ..protocol.cassette import parse_cassette, recorded_source, recorded_turns
from .bing import CREATE_SHAPES, DEFAULT_MAX_TURNS, BingHub, HubConversation
from .bing.spec import CONVERSATION_TTL
from .chatapi import ChatApiHub
from .host import Side
from .m365 import DEFAULT_MAX_MESSAGES, M365Hub
from .network import Wire
from .responder import Responder, echo_responder
from .tls import HubCertificate, make_certificate

__all__ = [
    "CREATE_SHAPES",
    "DEFAULT_MAX_TURNS",
    "DEMO_PACE",
    "Hub",
    "HubConversation",
    "running_hub",
]

log = logging.getLogger(__name__)

DEMO_PACE = 0.03
"""Seconds between two messages of an answer when the hub is a demo (``g4f hub``,
``g4f chat --local``), so that streaming can be seen; :class:`Hub` itself defaults to 0."""

T = TypeVar("T")


class _OnBing(Generic[T]):
    """An attribute of Bing's side, read and written on the hub too (``hub.scenario`` is
    ``hub.bing.scenario``): the hub's API from before it had sides."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, hub: None, owner: type) -> _OnBing[T]: ...
    @overload
    def __get__(self, hub: Hub, owner: type) -> T: ...
    def __get__(self, hub: Hub | None, owner: type) -> _OnBing[T] | T:
        if hub is None:
            return self
        value: T = getattr(hub.bing, self._name)
        return value

    def __set__(self, hub: Hub, value: T) -> None:
        setattr(hub.bing, self._name, value)


def _cassette_lines(path: Path) -> list[str]:
    """The lines of a cassette file; ``ValueError`` naming it when it is not UTF-8 text."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        position = exc.start
    raise ValueError(
        f"{path.name} is not a cassette: no UTF-8 text at byte {position} "
        "(a cassette is the JSONL file that --record writes)"
    )


class Hub:
    """ChatHub servers for offline use, Bing's and Microsoft 365 Copilot's, in one app.

    Args:
        responder: turns a user turn into an answer (default :func:`echo_responder`); both
            sides ask it.
        scenario: the scenario of Bing conversations created from now on (see
            :mod:`g4f.hub.bing.scenarios`); assign :attr:`scenario` to change it between requests.
        create_shape: ``"both"`` (signature in the body and in the ``X-Sydney-*`` headers),
            ``"body"`` (the 2023 shape) or ``"headers"`` (the Oct 2023+ shape).
        pace: seconds between two websocket messages of an answer (0: as fast as possible).
        max_turns: turns a Bing conversation may have.
        conversation_ttl: seconds a Bing conversation lives.
        clock: monotonic seconds, replaceable so tests can expire conversations.
        latency: the network model's one-way delay in seconds: every message in each direction
            (HTTP requests and responses, the websocket upgrade, websocket messages) arrives
            this much later, messages in flight overlapping. RTT = 2 × latency.
        cassette: recorded Bing turns to replay (see :meth:`from_cassette`); sets the scenario
            ``cassette``, which plays turn *n* of a conversation as recorded turn *n*.
        max_conversations: conversations each side keeps; past it the oldest are forgotten,
            as expired ones are (without a scan of the table).
        m365_scenario: the scenario of Microsoft 365 Copilot turns (see
            :mod:`g4f.hub.m365.scripts`); ``hub.m365.scenario`` changes it later.
        max_messages: user messages a Microsoft 365 Copilot conversation may have.
        chatapi_scenario: the scenario of Chat API turns (see
            :data:`~g4f.hub.chatapi.CHATAPI_SCENARIOS`); ``hub.chatapi.scenario`` changes it.
        tls: serve HTTPS with a certificate the hub makes (:attr:`certificate`, made by
            :meth:`make_certificate` when first served), as MSAL's sign-in needs.

    The sides are :attr:`bing`, :attr:`m365` and :attr:`chatapi`. Bing's state is also on the
    hub itself (``hub.scenario``, ``hub.conversations``, ``hub.create_requests``, …), as before
    the hub had sides.

    Example::

        hub = Hub(scenario="search")
        async with running_hub(hub) as url:
            ...  # point BingClient(url=url) at it
    """

    scenario = _OnBing[str]()
    create_shape = _OnBing[str]()
    max_turns = _OnBing[int]()
    conversation_ttl = _OnBing[float]()
    cassette = _OnBing[list[list[str]] | None]()
    conversations = _OnBing[dict[str, HubConversation]]()
    create_requests = _OnBing[int]()
    pings_received = _OnBing[int]()
    create_cookie_names = _OnBing[deque[list[str]]]()

    def __init__(
        self,
        *,
        responder: Responder = echo_responder,
        scenario: str = "stream",
        create_shape: str = "both",
        pace: float = 0.0,
        max_turns: int = DEFAULT_MAX_TURNS,
        conversation_ttl: float = CONVERSATION_TTL,
        clock: Callable[[], float] = time.monotonic,
        cassette: Sequence[Sequence[str]] | None = None,
        latency: float = 0.0,
        max_conversations: int = 10_000,
        m365_scenario: str = "stream",
        max_messages: int = DEFAULT_MAX_MESSAGES,
        chatapi_scenario: str = "compact",
        tls: bool = False,
    ) -> None:
        if pace < 0 or latency < 0:
            raise ValueError("pace and latency must be >= 0")
        if max_conversations < 1:
            raise ValueError("max_conversations must be at least 1")
        self.responder = responder
        self.pace, self.latency = pace, latency
        self.websockets_opened = 0
        self.close_codes: deque[int | None] = deque(maxlen=1000)
        """The close code each websocket ended with, the latest last: the client's own when it
        answered the hub's close (the hub waits for that answer), else aiohttp's."""
        self._websockets: set[web.WebSocketResponse] = set()
        self._closed: asyncio.Event | None = None  # set whenever a websocket handler ends
        self.bing = BingHub(
            self,
            scenario=scenario,
            create_shape=create_shape,
            max_turns=max_turns,
            conversation_ttl=conversation_ttl,
            clock=clock,
            cassette=cassette,
            max_conversations=max_conversations,
        )
        """Bing's side (CHATHUB.md)."""
        self.m365 = M365Hub(
            self,
            scenario=m365_scenario,
            max_messages=max_messages,
            clock=clock,
            max_conversations=max_conversations,
        )
        """Microsoft 365 Copilot's side (M365-CHATHUB.md), served next to Bing's."""
        self.chatapi = ChatApiHub(
            self, scenario=chatapi_scenario, clock=clock, max_conversations=max_conversations
        )
        """Microsoft 365 Copilot's Chat API (M365-CHAT-API.md) and its sign-in endpoints."""
        self.tls = tls
        self.certificate: HubCertificate | None = None
        """The certificate of a TLS hub, once made (its ``ca`` is what clients trust)."""
        self._certificate_dir: str | None = None  # a temporary directory the hub made

    @property
    def sides(self) -> tuple[Side, ...]:
        """The sides the app composes, Bing's first."""
        return (self.bing, self.m365, self.chatapi)

    def make_certificate(self, directory: str | os.PathLike[str] | None = None) -> HubCertificate:
        """The certificate a TLS hub serves with, made once (in ``directory``, else a new
        temporary one, removed with its key by :meth:`remove_certificate` when the hub stops)."""
        if self.certificate is None:
            import tempfile

            folder = directory
            if folder is None:
                folder = self._certificate_dir = tempfile.mkdtemp(prefix="g4f-hub-")
            self.certificate = make_certificate(folder)
        return self.certificate

    def remove_certificate(self) -> None:
        """Remove the temporary directory of the certificate and its key, if the hub made one
        (a directory given to :meth:`make_certificate` is the caller's: kept); a hub served
        again makes a new one."""
        if self._certificate_dir is not None:
            import shutil

            shutil.rmtree(self._certificate_dir, ignore_errors=True)
            self._certificate_dir, self.certificate = None, None

    @classmethod
    def from_cassette(cls, path: str | os.PathLike[str], **kwargs: Any) -> Hub:
        """A hub replaying the server's side of a recorded cassette file, on the side whose
        clients sent its invocations (told by their ``source``; Bing's when none says)."""
        entries = parse_cassette(_cassette_lines(Path(path)))
        hub = cls(**kwargs)
        source = recorded_source(entries)
        side = next((s for s in hub.sides if s.source == source), hub.bing)
        side.play_cassette(recorded_turns(entries))
        return hub

    def fail_next_creates(self, *scenarios: str) -> None:
        """Make the next Bing creates fail with these create scenarios, in order, then succeed
        (see :meth:`BingHub.fail_next_creates`)."""
        self.bing.fail_next_creates(*scenarios)

    @property
    def open_websockets(self) -> int:
        """Websockets whose handler is still running."""
        return len(self._websockets)

    async def wait_closed(self, at_most: int = 0) -> None:
        """Return once at most ``at_most`` websockets are open.

        A handler finishes just after its client closed the websocket; this waits for that.
        """
        while len(self._websockets) > at_most:
            if self._closed is None:
                self._closed = asyncio.Event()
            self._closed.clear()
            await self._closed.wait()

    def app(self) -> web.Application:
        """The aiohttp application serving every side's paths."""
        # Bodies up to 24 MiB: a 10 MiB image (the client's limit) base64-encoded, then
        # form-urlencoded, as UploadFile takes it (each side checks its own limit).
        app = web.Application(client_max_size=24 << 20)
        for side in self.sides:
            side.add_routes(app)
        app.on_shutdown.append(self._close_websockets)
        return app

    async def close_websockets(self) -> None:
        """Close every open websocket, as a server dropping idle connections does."""
        await self._close_websockets(None)

    async def _close_websockets(self, app: web.Application | None) -> None:
        for ws in list(self._websockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")

    async def round_trip(self) -> None:
        """Wait as long as a request and its answer travel in the network model (2 × latency)."""
        if self.latency:
            await asyncio.sleep(2 * self.latency)

    async def serve_websocket(
        self, request: web.Request, serve: Callable[[Wire], Awaitable[None]]
    ) -> web.StreamResponse:
        """Upgrade ``request`` and run ``serve`` on its websocket, through the network model,
        counted in :attr:`open_websockets` (every side's websockets come through here)."""
        await self.round_trip()  # the upgrade request and its answer travel
        ws = web.WebSocketResponse(autoping=True)
        try:
            await ws.prepare(request)
        except ConnectionError:  # the client left during its own upgrade
            log.debug("a client left before its websocket opened")
            return web.Response(status=400, text="the client left")
        self._websockets.add(ws)
        self.websockets_opened += 1
        wire = Wire(ws, request, self.latency)
        try:
            await serve(wire)
        except ConnectionError:
            # The client left (e.g. a websocket it opened speculatively and did not need):
            # nothing went wrong on this side.
            log.debug("a client left its websocket")
        finally:
            await wire.finish()
            self.close_codes.append(ws.close_code)
            self._websockets.discard(ws)
            if self._closed is not None:
                self._closed.set()
        return ws


@contextlib.asynccontextmanager
async def running_hub(
    hub: Hub | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``hub`` on ``host:port`` (port 0: a free one) and yield its base URL (``https://``
    for a TLS hub, whose CA file is ``hub.certificate.ca``).

    Example::

        async with running_hub(Hub()) as url:
            async with BingClient(url=url) as client:
                print(await client.ask_text("Hi"))
    """
    # No access log: a Microsoft 365 Copilot request carries its token in the query string.
    hub = hub or Hub()
    tls = hub.make_certificate().server_context() if hub.tls else None
    runner = web.AppRunner(hub.app(), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=tls)
        await site.start()
        bound = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        yield f"{'https' if tls else 'http'}://{url_host}:{bound}"
    finally:
        await runner.cleanup()
        hub.remove_certificate()  # the key of a temporary certificate goes with the hub
