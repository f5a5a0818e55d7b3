"""The hub's Bing side: ``GET /turing/conversation/create`` and the ``/sydney/ChatHub``
websocket, as CHATHUB.md describes them (not as our client happens to use them)."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from ...errors import ProtocolError
from ...protocol.constants import RecordType
from ...protocol.framing import (
    HANDSHAKE_RESPONSE,
    Record,
    RecordDecoder,
    encode_record,
    encode_records,
)
from ..host import Host
from ..network import Wire
from ..records import completion_record, failure_final
from ..responder import TurnRequest, reply_to
from ..steps import Abort, CloseSocket, Repeat, Send
from ..table import forget_old
from .hostile import endless_response, repeat, until_gone
from .scenarios import CREATE_SCENARIOS, Step, TurnPlan, check_scenario, script
from .spec import (
    ACCESS_TOKEN_PARAM,
    CHAT_TARGET,
    CHATHUB_PATH,
    CONVERSATION_TTL,
    CREATE_PATH,
    DEFAULT_MAX_TURNS,
    DEFAULT_TONE,
    ENCRYPTED_SIGNATURE_HEADER,
    NO_SEARCH_OPTION_SET,
    SIGNATURE_HEADER,
    SOURCE,
    Result,
)

__all__ = ["CREATE_SHAPES", "KEPT", "BingHub", "HubConversation"]

CREATE_SHAPES = ("both", "body", "headers")
"""How a create answers (CHATHUB.md §1): the signature in the body and the headers, in the body
only (the 2023 shape), or in the headers only (the Oct 2023+ shape)."""
KEPT = 1000
"""Invocations kept for tests to read (the latest)."""


@dataclass(frozen=True, slots=True)
class _Rejection:
    """Why the hub refuses an invocation: a ``result.value`` and its message."""

    value: str
    message: str


@dataclass
class HubConversation:
    """The hub's state of one Bing conversation."""

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


class BingHub:
    """Bing's ChatHub on the hub (see :class:`~g4f.hub.Hub`, which owns one as ``hub.bing`` and
    passes its arguments on).

    Args:
        host: the hub it belongs to (its responder, pace, latency and websocket bookkeeping).
        scenario: the scenario of conversations created from now on (see
            :mod:`g4f.hub.bing.scenarios`); assign :attr:`scenario` to change it.
        create_shape: one of :data:`CREATE_SHAPES`.
        max_turns: turns a conversation may have.
        conversation_ttl: seconds a conversation lives.
        clock: monotonic seconds, replaceable so tests can expire conversations.
        cassette: recorded turns to replay; sets the scenario ``cassette``, which plays turn *n*
            of a conversation as recorded turn *n*.
        max_conversations: conversations kept; past it the oldest are forgotten, as expired
            ones are (on each create, without a scan of the table).

    Attributes read by tests: ``conversations`` by id, ``create_requests``, ``pings_received``,
    ``create_cookie_names`` (the cookie names of each create, never their values),
    ``invocations`` (each turn's invocation argument, as received).
    """

    source = SOURCE
    """The invocation ``source`` of Bing's clients."""

    def __init__(
        self,
        host: Host,
        *,
        scenario: str = "stream",
        create_shape: str = "both",
        max_turns: int = DEFAULT_MAX_TURNS,
        conversation_ttl: float = CONVERSATION_TTL,
        clock: Callable[[], float] = time.monotonic,
        cassette: Sequence[Sequence[str]] | None = None,
        max_conversations: int = 10_000,
    ) -> None:
        if create_shape not in CREATE_SHAPES:
            raise ValueError(f"create_shape must be one of {CREATE_SHAPES}")
        if max_turns < 1 or conversation_ttl <= 0:
            raise ValueError("max_turns must be >= 1 and conversation_ttl > 0")
        self.host = host
        self.cassette = [list(turn) for turn in cassette] if cassette is not None else None
        self.scenario = check_scenario("cassette" if cassette is not None else scenario)
        self.create_shape = create_shape
        self.max_turns, self.conversation_ttl = max_turns, conversation_ttl
        self.clock = clock
        self.max_conversations = max_conversations
        self.conversations: dict[str, HubConversation] = {}
        self.create_requests = 0
        self.pings_received = 0
        # What tests read, bounded so that a long-running hub does not grow.
        self.create_cookie_names: deque[list[str]] = deque(maxlen=KEPT)
        self.invocations: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self._create_failures: list[str] = []

    def add_routes(self, app: web.Application) -> None:
        """Serve the create and the ChatHub websocket on ``app``."""
        app.router.add_get(CREATE_PATH, self._create)
        app.router.add_get(CHATHUB_PATH, self._chathub)

    def play_cassette(self, turns: Sequence[Sequence[str]]) -> None:
        """Replay these recorded turns from now on (scenario ``cassette``)."""
        self.cassette, self.scenario = [list(turn) for turn in turns], "cassette"

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
        await self.host.round_trip()  # the request and its answer travel
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
            "result": {"value": Result.SUCCESS.value, "message": None},
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

        return await self.host.serve_websocket(request, serve)

    async def _serve(self, wire: Wire, token: str | None) -> None:
        decoder = RecordDecoder()
        handshaken = False
        async for text in wire.messages():
            try:
                records = decoder.feed(text)
            except ProtocolError as exc:
                await wire.send(
                    encode_record({"type": int(RecordType.CLOSE), "error": exc.message})
                )
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
                    if self.host.pace:
                        await asyncio.sleep(self.host.pace)
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
                failure = failure_final(plan.invocation_id, Result.INVALID_REQUEST.value, str(exc))
                return [Send(encode_records(failure, completion_record(plan.invocation_id)))]
        turn = conversation.turns
        if self.cassette is None or turn >= len(self.cassette):
            failure = failure_final(
                plan.invocation_id,
                Result.INVALID_REQUEST.value,
                f"The cassette has no turn {turn + 1}.",
            )
            return [Send(encode_records(failure, completion_record(plan.invocation_id)))]
        return [Send(text) for text in self.cassette[turn]]

    def _check_invocation(
        self, record: Record, token: str | None
    ) -> tuple[HubConversation, dict[str, Any]] | _Rejection:
        """The conversation and argument of a valid invocation, or why it is rejected."""
        invalid = Result.INVALID_REQUEST.value
        arguments = record.get("arguments")
        if not isinstance(arguments, list) or not arguments or not isinstance(arguments[0], dict):
            return _Rejection(invalid, "The invocation has no arguments.")
        argument: dict[str, Any] = arguments[0]
        self.invocations.append(argument)
        conversation_id = argument.get("conversationId")
        participant = argument.get("participant")
        message = argument.get("message")
        if not isinstance(conversation_id, str) or not conversation_id:
            return _Rejection(invalid, "The conversationId is not set and is required.")
        if not isinstance(participant, dict) or not isinstance(participant.get("id"), str):
            return _Rejection(invalid, "The participant id is not set and is required.")
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            return _Rejection(invalid, "The message text is not set and is required.")
        if record.get("target") != CHAT_TARGET or not isinstance(record.get("invocationId"), str):
            return _Rejection(invalid, "The invocation needs target 'chat' and an invocationId.")
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation.expires_at <= self.clock():
            return _Rejection(
                Result.INVALID_SESSION.value,
                f"Conversation '{conversation_id}' doesn't exist or has expired. "
                "Conversations expire after 06:00:00.",
            )
        method = self._authenticate(conversation, argument, token)
        if method is None or participant["id"] != conversation.client_id:
            return _Rejection(
                Result.UNAUTHORIZED_REQUEST.value,
                "The conversationSignature is not set and is required for this request.",
            )
        if conversation.busy:
            return _Rejection(Result.PROCESSING_MESSAGE.value, "A message is in progress.")
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
        reply = reply_to(
            self.host.responder,
            TurnRequest(
                prompt=prompt,
                context=context,
                history=tuple(conversation.history),
                style=str(argument.get("tone") or DEFAULT_TONE),
                turn=turn,
                conversation_id=conversation.conversation_id,
                search=not (isinstance(option_sets, list) and NO_SEARCH_OPTION_SET in option_sets),
            )
        )
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
