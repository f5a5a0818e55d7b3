"""The local hub: an aiohttp server speaking ChatHub as Bing did — and as Microsoft 365 Copilot
does (:mod:`g4f.hub.m365`) — for offline runs and tests."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import WSCloseCode, web

from ..errors import ProtocolError
from ..protocol import (
    HANDSHAKE_RESPONSE,
    RecordDecoder,
    RecordType,
    encode_record,
    encode_records,
)
from ..protocol.cassette import cassette_service, parse_cassette, recorded_turns
from ..protocol.framing import Record
from ..services.bing.constants import (
    ACCESS_TOKEN_PARAM,
    CHATHUB_PATH,
    CREATE_PATH,
    ENCRYPTED_SIGNATURE_HEADER,
    NO_SEARCH_OPTION_SET,
    SIGNATURE_HEADER,
    ResultValue,
)
from .hostile import endless_response, repeat, until_gone
from .m365 import DEFAULT_MAX_MESSAGES, M365Hub
from .network import Wire
from .records import completion_record, failure_final
from .responder import Reply, Responder, TurnRequest, echo_responder
from .scenarios import (
    CREATE_SCENARIOS,
    Abort,
    CloseSocket,
    Repeat,
    Send,
    Step,
    TurnPlan,
    check_scenario,
    script,
)
from .table import forget_old

__all__ = ["DEFAULT_MAX_TURNS", "DEMO_PACE", "Hub", "HubConversation", "running_hub"]

log = logging.getLogger(__name__)

CREATE_SHAPES = ("both", "body", "headers")

DEMO_PACE = 0.03
"""Seconds between two messages of an answer when the hub is a demo (``g4f hub``,
``g4f chat --local``), so that streaming can be seen; :class:`Hub` itself defaults to 0."""
DEFAULT_MAX_TURNS = 30
"""Turns a hub conversation may have unless told otherwise (Bing's 2023 limit)."""


@dataclass(frozen=True, slots=True)
class _Rejection:
    """Why the hub refuses an invocation: a ``result.value`` and its message."""

    value: str
    message: str


@dataclass
class HubConversation:
    """The hub's state of one conversation."""

    conversation_id: str
    client_id: str
    signature: str
    encrypted_signature: str
    scenario: str
    expires_at: float
    history: list[tuple[str, str]] = field(default_factory=list)
    invocation_ids: set[str] = field(default_factory=set)
    busy: bool = False
    auth_methods: list[str] = field(default_factory=list)

    @property
    def turns(self) -> int:
        """Turns answered so far."""
        return len(self.history)


class Hub:
    """A ChatHub server for offline use: ``GET /turing/conversation/create`` and the websocket.

    Args:
        responder: turns a user turn into an answer (default :func:`echo_responder`).
        scenario: the scenario of conversations created from now on (see
            :mod:`g4f.hub.scenarios`); assign :attr:`scenario` to change it between requests.
        create_shape: ``"both"`` (signature in the body and in the ``X-Sydney-*`` headers),
            ``"body"`` (the 2023 shape) or ``"headers"`` (the Oct 2023+ shape).
        pace: seconds between two websocket messages of an answer (0: as fast as possible).
        max_turns: turns a conversation may have.
        conversation_ttl: seconds a conversation lives.
        clock: monotonic seconds, replaceable so tests can expire conversations.
        latency: the network model's one-way delay in seconds: every message in each direction
            (HTTP requests and responses, the websocket upgrade, websocket messages) arrives
            this much later, messages in flight overlapping. RTT = 2 × latency.
        cassette: recorded turns to replay (from :meth:`from_cassette`); sets the scenario
            ``cassette``, which plays turn *n* of a conversation as recorded turn *n*.
        max_conversations: conversations kept; past it the oldest are forgotten, as expired
            ones are (on each create, without a scan of the table).
        m365_scenario: the scenario of Microsoft 365 Copilot turns (see
            :mod:`g4f.hub.m365_scripts`); ``hub.m365.scenario`` changes it later.
        max_messages: user messages a Microsoft 365 Copilot conversation may have.

    Example::

        hub = Hub(scenario="search")
        async with running_hub(hub) as url:
            ...  # point BingClient(url=url) at it
    """

    def __init__(
        self,
        *,
        responder: Responder = echo_responder,
        scenario: str = "stream",
        create_shape: str = "both",
        pace: float = 0.0,
        max_turns: int = DEFAULT_MAX_TURNS,
        conversation_ttl: float = 6 * 3600,
        clock: Callable[[], float] = time.monotonic,
        cassette: Sequence[Sequence[str]] | None = None,
        latency: float = 0.0,
        max_conversations: int = 10_000,
        m365_scenario: str = "stream",
        max_messages: int = DEFAULT_MAX_MESSAGES,
    ) -> None:
        if create_shape not in CREATE_SHAPES:
            raise ValueError(f"create_shape must be one of {CREATE_SHAPES}")
        if pace < 0 or latency < 0 or max_turns < 1 or conversation_ttl <= 0:
            raise ValueError(
                "pace and latency must be >= 0, max_turns >= 1 and conversation_ttl > 0"
            )
        if max_conversations < 1:
            raise ValueError("max_conversations must be at least 1")
        self.max_conversations = max_conversations
        self.latency = latency
        self.responder = responder
        self.cassette = [list(turn) for turn in cassette] if cassette is not None else None
        self.scenario = check_scenario("cassette" if cassette is not None else scenario)
        self.create_shape = create_shape
        self.pace = pace
        self.max_turns = max_turns
        self.conversation_ttl = conversation_ttl
        self.clock = clock
        self.conversations: dict[str, HubConversation] = {}
        self.websockets_opened = 0
        self.create_requests = 0
        self.pings_received = 0
        # The cookie names of the latest creates (names only), bounded for a long-running hub.
        self.create_cookie_names: deque[list[str]] = deque(maxlen=1000)
        self._create_failures: list[str] = []
        self._websockets: set[web.WebSocketResponse] = set()
        self._closed: asyncio.Event | None = None  # set whenever a websocket handler ends
        self.m365 = M365Hub(
            self,
            scenario=m365_scenario,
            max_messages=max_messages,
            clock=clock,
            max_conversations=max_conversations,
        )
        """Microsoft 365 Copilot's side (M365-CHATHUB.md), served next to Bing's."""

    @classmethod
    def from_cassette(cls, path: str | os.PathLike[str], **kwargs: Any) -> Hub:
        """A hub replaying the server's side of a recorded cassette file — on Bing's ChatHub,
        or on Microsoft 365 Copilot's when the recording is of that service (its invocations'
        ``source`` is ``officeweb``)."""
        with open(path, encoding="utf-8") as file:
            entries = parse_cassette(file)
        turns = recorded_turns(entries)
        if cassette_service(entries) == "m365":
            hub = cls(**kwargs)
            hub.m365.cassette, hub.m365.scenario = turns, "cassette"
            return hub
        return cls(cassette=turns, **kwargs)

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
        """The aiohttp application serving both paths."""
        app = web.Application()
        app.router.add_get(CREATE_PATH, self._create)
        app.router.add_get(CHATHUB_PATH, self._chathub)
        self.m365.add_routes(app)
        app.on_shutdown.append(self._close_websockets)
        return app

    async def close_websockets(self) -> None:
        """Close every open websocket, as a server dropping idle connections does."""
        await self._close_websockets(None)

    async def _close_websockets(self, app: web.Application | None) -> None:
        for ws in list(self._websockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")

    # -- create -------------------------------------------------------------------------------

    def fail_next_creates(self, *scenarios: str) -> None:
        """Make the next creates fail with these create scenarios, in order, then succeed.

        Example: ``hub.fail_next_creates("create-429", "create-500")`` (a transient outage).
        """
        for scenario in scenarios:
            if scenario not in CREATE_SCENARIOS:
                raise ValueError(f"{scenario!r} is not a create scenario")
        self._create_failures.extend(scenarios)

    async def _create(self, request: web.Request) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(2 * self.latency)  # the request and its answer travel
        self.create_requests += 1
        self.create_cookie_names.append(sorted(request.cookies))  # names only, never values
        scenario = self._create_failures.pop(0) if self._create_failures else self.scenario
        failure = await self._create_failure(scenario, request)
        if failure is not None:
            return failure
        conversation = HubConversation(
            conversation_id=f"51D|BingProd|{os.urandom(16).hex().upper()}",
            client_id=str(int.from_bytes(os.urandom(7), "big")),
            signature=base64.b64encode(os.urandom(32)).decode(),
            encrypted_signature=base64.b64encode(os.urandom(48)).decode(),
            scenario=self.scenario,
            expires_at=self.clock() + self.conversation_ttl,
        )
        forget_old(self.conversations, self.clock(), self.max_conversations)
        self.conversations[conversation.conversation_id] = conversation
        body: dict[str, Any] = {
            "conversationId": conversation.conversation_id,
            "clientId": conversation.client_id,
            "result": {"value": "Success", "message": None},
        }
        headers: dict[str, str] = {}
        if self.create_shape in ("both", "body"):
            body["conversationSignature"] = conversation.signature
        if self.create_shape in ("both", "headers"):
            headers[SIGNATURE_HEADER] = conversation.signature
            headers[ENCRYPTED_SIGNATURE_HEADER] = conversation.encrypted_signature
        return web.json_response(body, headers=headers)

    async def _create_failure(
        self, scenario: str, request: web.Request
    ) -> web.StreamResponse | None:
        failure = CREATE_SCENARIOS.get(scenario)
        if failure is None:
            return None
        if failure.endless:
            return await endless_response(request, failure.body)
        return web.Response(
            status=failure.status,
            text=failure.body,
            content_type=failure.content_type,
            headers=failure.headers,
        )

    # -- websocket ----------------------------------------------------------------------------

    async def _chathub(self, request: web.Request) -> web.StreamResponse:
        if self.scenario == "upgrade-hang":
            await until_gone(request)
            return web.Response(status=503, text="the upgrade was never meant to be answered")
        token = request.query.get(ACCESS_TOKEN_PARAM)

        async def serve(wire: Wire) -> None:
            await self._serve(wire, token)

        return await self.serve_websocket(request, serve)

    async def serve_websocket(
        self, request: web.Request, serve: Callable[[Wire], Awaitable[None]]
    ) -> web.StreamResponse:
        """Upgrade ``request`` and run ``serve`` on its websocket, through the network model,
        counted in :attr:`open_websockets` (both services' websockets come through here)."""
        if self.latency:
            await asyncio.sleep(2 * self.latency)  # the upgrade request and its answer travel
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
            self._websockets.discard(ws)
            if self._closed is not None:
                self._closed.set()
        return ws

    async def _serve(self, wire: Wire, token: str | None) -> None:
        decoder = RecordDecoder()
        handshaken = False
        async for text in wire.messages():
            try:
                records = decoder.feed(text)
            except ProtocolError as exc:
                await wire.send(encode_record({"type": 7, "error": exc.message}))
                await wire.close()
                return
            for record in records:
                if not handshaken:
                    if record != {"protocol": "json", "version": 1}:
                        await wire.send(encode_record({"error": "Unsupported handshake."}))
                        await wire.close()
                        return
                    await wire.send(HANDSHAKE_RESPONSE)
                    handshaken = True
                elif record.get("type") == RecordType.PING:
                    self.pings_received += 1
                    await wire.send(encode_record({"type": int(RecordType.PING)}))
                elif record.get("type") == RecordType.STREAM_INVOCATION and not await self._turn(
                    wire, record, token
                ):
                    return

    async def _turn(self, wire: Wire, record: Record, token: str | None) -> bool:
        """Play one turn; ``False`` when the connection is gone afterwards."""
        invocation_id = str(record.get("invocationId", ""))
        checked = self._check_invocation(record, token)
        if isinstance(checked, _Rejection):
            await wire.send(
                encode_records(
                    failure_final(invocation_id, checked.value, checked.message),
                    completion_record(invocation_id),
                )
            )
            return True
        conversation, argument = checked
        conversation.busy = True
        try:
            plan = self._plan(conversation, argument, invocation_id)
            for step in self._script(conversation, plan):
                if isinstance(step, Send):
                    await wire.send(step.text)
                    if self.pace:
                        await asyncio.sleep(self.pace)
                elif isinstance(step, Repeat):
                    await repeat(wire, step)
                    return False
                elif isinstance(step, CloseSocket):
                    await wire.close()
                    return False
                elif isinstance(step, Abort):
                    await wire.abort()
                    return False
            conversation.history.append((plan.prompt, plan.reply.text))
            return True
        except ConnectionError:
            return False
        finally:
            conversation.busy = False

    def _script(self, conversation: HubConversation, plan: TurnPlan) -> list[Step]:
        scenario = plan.reply.scenario or conversation.scenario
        if scenario != "cassette":
            try:
                return script(check_scenario(scenario), plan)
            except ValueError as exc:  # e.g. a responder asked for a create scenario
                failure = failure_final(plan.invocation_id, "InvalidRequest", str(exc))
                return [Send(encode_records(failure, completion_record(plan.invocation_id)))]
        turn = conversation.turns
        if self.cassette is None or turn >= len(self.cassette):
            failure = failure_final(
                plan.invocation_id, "InvalidRequest", f"The cassette has no turn {turn + 1}."
            )
            return [Send(encode_records(failure, completion_record(plan.invocation_id)))]
        return [Send(text) for text in self.cassette[turn]]

    def _check_invocation(
        self, record: Record, token: str | None
    ) -> tuple[HubConversation, dict[str, Any]] | _Rejection:
        """The conversation and argument of a valid invocation, or why it is rejected."""
        invalid = ResultValue.INVALID_REQUEST.value
        arguments = record.get("arguments")
        if not isinstance(arguments, list) or not arguments or not isinstance(arguments[0], dict):
            return _Rejection(invalid, "The invocation has no arguments.")
        argument: dict[str, Any] = arguments[0]
        conversation_id = argument.get("conversationId")
        participant = argument.get("participant")
        message = argument.get("message")
        if not isinstance(conversation_id, str) or not conversation_id:
            return _Rejection(invalid, "The conversationId is not set and is required.")
        if not isinstance(participant, dict) or not isinstance(participant.get("id"), str):
            return _Rejection(invalid, "The participant id is not set and is required.")
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            return _Rejection(invalid, "The message text is not set and is required.")
        if record.get("target") != "chat" or not isinstance(record.get("invocationId"), str):
            return _Rejection(invalid, "The invocation needs target 'chat' and an invocationId.")
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation.expires_at <= self.clock():
            return _Rejection(
                ResultValue.INVALID_SESSION.value,
                f"Conversation '{conversation_id}' doesn't exist or has expired. "
                "Conversations expire after 06:00:00.",
            )
        method = self._authenticate(conversation, argument, token)
        if method is None or participant["id"] != conversation.client_id:
            return _Rejection(
                ResultValue.UNAUTHORIZED_REQUEST.value,
                "The conversationSignature is not set and is required for this request.",
            )
        if conversation.busy:
            return _Rejection(ResultValue.PROCESSING_MESSAGE.value, "A message is in progress.")
        if record["invocationId"] in conversation.invocation_ids:
            used = record["invocationId"]
            return _Rejection(invalid, f"The invocationId {used} was already used.")
        if conversation.turns >= self.max_turns:
            return _Rejection(
                invalid,
                f"Conversation '{conversation_id}' with {conversation.turns * 2} messages "
                "already exists.",
            )
        conversation.invocation_ids.add(record["invocationId"])
        conversation.auth_methods.append(method)
        return conversation, argument

    @staticmethod
    def _authenticate(
        conversation: HubConversation, argument: dict[str, Any], token: str | None
    ) -> str | None:
        if token is not None and token == conversation.encrypted_signature:
            return ACCESS_TOKEN_PARAM
        if argument.get("conversationSignature") == conversation.signature:
            return "conversationSignature"
        return None

    def _plan(
        self, conversation: HubConversation, argument: dict[str, Any], invocation_id: str
    ) -> TurnPlan:
        prompt = argument["message"]["text"]
        context = None
        previous = argument.get("previousMessages")
        if isinstance(previous, list):
            context = (
                "".join(str(m.get("description", "")) for m in previous if isinstance(m, dict))
                or None
            )
        option_sets = argument.get("optionsSets")
        turn = conversation.turns + 1
        reply = self.responder(
            TurnRequest(
                prompt=prompt,
                context=context,
                history=tuple(conversation.history),
                style=str(argument.get("tone") or "Balanced"),
                turn=turn,
                conversation_id=conversation.conversation_id,
                search=not (isinstance(option_sets, list) and NO_SEARCH_OPTION_SET in option_sets),
            )
        )
        if isinstance(reply, str):
            reply = Reply(text=reply)
        now = datetime.now(UTC)
        remaining = conversation.expires_at - self.clock()
        return TurnPlan(
            invocation_id=invocation_id,
            request_id=os.urandom(8).hex(),
            conversation_id=conversation.conversation_id,
            prompt=prompt,
            reply=reply,
            used=turn,
            limit=self.max_turns,
            expiry_time=(now + timedelta(seconds=remaining)).isoformat(timespec="seconds"),
            timestamp=now.isoformat(timespec="seconds"),
        )


@contextlib.asynccontextmanager
async def running_hub(
    hub: Hub | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``hub`` on ``host:port`` (port 0: a free one) and yield its base URL.

    Example::

        async with running_hub(Hub()) as url:
            async with BingClient(url=url) as client:
                print(await client.ask_text("Hi"))
    """
    # No access log: a Microsoft 365 Copilot request carries its token in the query string.
    runner = web.AppRunner((hub or Hub()).app(), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        yield f"http://{url_host}:{bound}"
    finally:
        await runner.cleanup()
