"""The hub's Chat API side: Microsoft 365 Copilot's documented Chat API on both hosts' paths
(``/beta/copilot/…`` for Graph, ``/rest/…`` and ``/rest/beta/…`` for Work IQ; the turn paths in
the docs' short form and the SDK's namespaced one), as M365-CHAT-API.md describes them.

Tokens are checked (a JWT's shape, the audience of the host the path belongs to, expiry: 401 in
Graph's error shape otherwise). Conversations are kept by id for the user who made them (404 for
another user's or an unknown one); each turn plays :attr:`ChatApiHub.scenario` (see
:data:`~g4f.hub.chatapi.layouts.SCENARIOS`). The identity platform MSAL signs in with is served
beside it (:mod:`g4f.hub.chatapi.identity`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..growing import prefix_ends
from ..host import Host, bearer_token
from ..m365.token import claims_of
from ..responder import Reply, TurnRequest, reply_to
from ..table import forget_old
from .identity import IdentityPlatform
from .layouts import ECHOES, FAILURES, LAYOUTS, check_scenario, encode_events
from .spec import (
    BASES,
    INTERMEDIATE,
    MESSAGE_TYPE,
    ODATA_CONTEXT,
    OPERATIONS,
    REFUSED_STATE,
    SENSITIVITY_LABEL,
    WORKIQ,
)

__all__ = ["ChatApiConversation", "ChatApiHub"]

KEPT = 1000
CONVERSATION_TTL = 24 * 3600.0
SOURCE = ("Contoso Engineering Standup", "https://teams.microsoft.com/l/meeting/details?eventId=1")
APOLOGY = "I'm sorry, but I can't help with that request."


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _graph_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An error in Graph's shape, with a request id."""
    inner = {"request-id": str(uuid.uuid4()), "date": _now_iso()}
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return web.json_response(body, status=status, headers=dict(headers or {}))


@dataclass
class ChatApiConversation:
    """The hub's state of one Chat API conversation."""

    conversation_id: str
    host: str
    oid: str
    expires_at: float
    created: str = field(default_factory=_now_iso)
    display_name: str = ""
    history: list[tuple[str, str]] = field(default_factory=list)


class ChatApiHub:
    """The Chat API on the hub (``hub.chatapi``), and its identity platform
    (``hub.chatapi.identity``).

    Args:
        host: the hub it belongs to (its responder, pace and latency).
        scenario: the scenario of every turn from now on (assign :attr:`scenario` to change it).
        now: seconds since the epoch (token expiry), replaceable in tests.
        clock: monotonic seconds (conversation expiry).
        max_conversations: conversations kept (the oldest forgotten first).

    Read by tests: ``requests`` (each turn's body and path), ``rejections`` (why a request was
    refused), ``streams_closed`` (streams the client closed before their end).
    """

    source = "chatapi"

    def __init__(
        self,
        host: Host,
        *,
        scenario: str = "compact",
        now: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        max_conversations: int = 10_000,
    ) -> None:
        self.host = host
        self.scenario = check_scenario(scenario)
        self.now, self.clock = now, clock
        self.max_conversations = max_conversations
        self.conversations: dict[str, ChatApiConversation] = {}
        self.requests: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self.rejections: deque[str] = deque(maxlen=KEPT)
        self.streams_closed = 0
        self._closed: asyncio.Event | None = None
        self.identity = IdentityPlatform(now=now)
        """The identity platform's endpoints (device code, refresh), for MSAL."""

    def add_routes(self, app: web.Application) -> None:
        """Serve both hosts' paths, and the identity platform's."""
        for base in BASES:
            app.router.add_post(f"{base}/conversations", self._create)
            app.router.add_post(f"{base}/conversations/{{cid}}/{{op}}", self._turn)
        self.identity.add_routes(app)

    def play_cassette(self, turns: Sequence[Sequence[str]]) -> None:
        """Recordings are of websocket turns; the Chat API has none to replay."""
        raise ValueError("the Chat API side replays no cassettes")

    async def wait_stream_closed(self, count: int = 1) -> None:
        """Return once ``count`` streams were closed by their client before their end."""
        while self.streams_closed < count:
            if self._closed is None:
                self._closed = asyncio.Event()
            self._closed.clear()
            await self._closed.wait()

    # -- requests ------------------------------------------------------------------------------

    def _user(self, request: web.Request, base: str) -> str | web.Response:
        """The token's ``oid`` for the host of ``base``, or the 401 the service answers."""
        token = bearer_token(request) or ""
        host, audiences = BASES[base]
        try:
            claims = claims_of(token)
        except ValueError as exc:
            why = str(exc) if token else "no bearer token"
            return self._reject(401, "InvalidAuthenticationToken", why)
        if claims.get("aud") not in audiences:
            why = f"the token's audience {claims.get('aud')!r} is not {host}'s"
            return self._reject(401, "InvalidAuthenticationToken", why)
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= self.now():
            return self._reject(401, "InvalidAuthenticationToken", "Access token has expired")
        return str(claims.get("oid", ""))

    def _reject(self, status: int, code: str, why: str) -> web.Response:
        self.rejections.append(why)
        return _graph_error(status, code, why)

    @staticmethod
    def _base(request: web.Request) -> str:
        path = request.path
        return max((b for b in BASES if path.startswith(b + "/")), key=len)

    async def _create(self, request: web.Request) -> web.Response:
        await self.host.round_trip()
        base = self._base(request)
        user = self._user(request, base)
        if isinstance(user, web.Response):
            return user
        if self.scenario in ECHOES:
            return self._failure(self.scenario, request)
        forget_old(self.conversations, self.clock(), self.max_conversations)
        conversation = ChatApiConversation(
            str(uuid.uuid4()), BASES[base][0], user, self.clock() + CONVERSATION_TTL
        )
        self.conversations[conversation.conversation_id] = conversation
        return web.json_response(self._conversation(conversation, turns=0), status=201)

    def _conversation(self, c: ChatApiConversation, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"@odata.context": ODATA_CONTEXT, "id": c.conversation_id}
        if c.host == WORKIQ:  # Work IQ's conversation names its agent (null: Copilot)
            data["agentId"] = None
        data.update(createdDateTime=c.created, displayName=c.display_name, state="active",
                    turnCount=fields.pop("turns", len(c.history)))  # fmt: skip
        data.update(fields)
        return data

    async def _turn(self, request: web.Request) -> web.StreamResponse:
        await self.host.round_trip()
        base, op = self._base(request), request.match_info["op"]
        user = self._user(request, base)
        if isinstance(user, web.Response):
            return user
        conversation = self.conversations.get(request.match_info["cid"])
        if op not in OPERATIONS or conversation is None or conversation.oid != user:
            why = "unknown operation" if op not in OPERATIONS else "conversation not found"
            return self._reject(404, "NotFound", why)
        if conversation.host != BASES[base][0]:
            return self._reject(404, "NotFound", "conversation not found on this host")
        try:
            body = await request.json()
            prompt = body["message"]["text"]
            time_zone = body["locationHint"]["timeZone"]
        except (ValueError, KeyError, TypeError):
            return self._reject(400, "BadRequest", "message.text and locationHint.timeZone needed")
        if not isinstance(prompt, str) or not isinstance(time_zone, str):
            return self._reject(400, "BadRequest", "message.text and timeZone must be strings")
        self.requests.append({"path": request.path, "body": body})
        reply = self._reply(conversation, body, prompt)
        scenario = check_scenario(reply.scenario or self.scenario)
        if scenario in FAILURES:
            return self._failure(scenario, request)
        conversation.display_name = conversation.display_name or prompt
        conversation.history.append((prompt, reply.text))
        text, last = self._answer(conversation, prompt, reply, scenario)
        if not OPERATIONS[op]:
            return web.json_response(last)
        return await self._stream(request, text, last, scenario, conversation)

    @staticmethod
    def _failure(scenario: str, request: web.Request) -> web.Response:
        """A failure scenario's error; an ``echo_*`` one repeats the bearer token."""
        status, code, message, headers = FAILURES[scenario]
        token = bearer_token(request) or ""
        if scenario in ECHOES:
            quoted = "".join(f"%{byte:02X}" for byte in token.encode())
            payload = token.split(".")[1] if token.count(".") == 2 else token
            message = message.format(token=token, quoted=quoted, payload=payload)
        return _graph_error(status, code, message, headers)

    def _reply(self, conversation: ChatApiConversation, body: Any, prompt: str) -> Reply:
        extra = body.get("additionalContext") if isinstance(body, dict) else None
        context = "".join(
            f"[{item.get('description') or 'context'}](#message)\n{item.get('text', '')}\n\n"
            for item in (extra if isinstance(extra, list) else ())
            if isinstance(item, dict)
        )
        resources = body.get("contextualResources") or {}
        web_context = resources.get("webContext") or {} if isinstance(resources, dict) else {}
        turn = TurnRequest(
            prompt,
            context=context or None,
            history=tuple(conversation.history),
            style="Copilot",
            turn=len(conversation.history) + 1,
            conversation_id=conversation.conversation_id,
            search=web_context.get("isWebEnabled", True) is not False,
        )
        return reply_to(self.host.responder, turn)

    # -- answers -------------------------------------------------------------------------------

    def _message(self, text: str, attributions: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        return {"@odata.type": MESSAGE_TYPE, "id": str(uuid.uuid4()), "text": text,
                "createdDateTime": _now_iso(), "adaptiveCards": [],
                "attributions": [dict(a) for a in attributions],
                "sensitivityLabel": dict(SENSITIVITY_LABEL)}  # fmt: skip

    @staticmethod
    def _attribution(kind: str, title: str, url: str) -> dict[str, Any]:
        return {"attributionType": kind, "providerDisplayName": title,
                "attributionSource": "model", "seeMoreWebUrl": url, "imageWebUrl": "",
                "imageFavIcon": "", "imageWidth": 0, "imageHeight": 0}  # fmt: skip

    def _answer(
        self, c: ChatApiConversation, prompt: str, reply: Reply, scenario: str
    ) -> tuple[str, dict[str, Any]]:
        """The text the turn streams as it grows, and its last snapshot."""
        text, final_text, state = reply.text, reply.text, "active"
        sources = [self._attribution("citation", t, u) for t, u in reply.sources]
        if scenario in ("cited", "rewritten"):
            sources.append(self._attribution("citation", *SOURCE))
            sources.append(self._attribution("annotation", "", SOURCE[1]))
        if scenario == "rewritten":  # markers while streaming, resolved in the last snapshot
            text, final_text = f"{reply.text} [^1^]", f"{reply.text} [{SOURCE[0]}]({SOURCE[1]})"
        elif scenario == "disengaged":
            text, final_text, state = "", APOLOGY, REFUSED_STATE
        elif scenario == "no_text":
            text = final_text = ""
        answer = [self._message(final_text, sources)] if final_text else []
        return text, self._conversation(c, state=state, messages=[self._message(prompt), *answer])

    def _snapshots(
        self,
        empty: Mapping[str, Any],
        text: str,
        ends: Sequence[int],
        last: Mapping[str, Any],
    ) -> Iterator[Mapping[str, Any]]:
        """The turn's snapshots, made as they are read: ``empty``, ``text`` growing to each of
        ``ends`` (a word at a time, several past :data:`~g4f.hub.growing.MAX_UPDATES` words),
        ``last``; each growing one is ``empty`` with its one message."""
        yield empty
        for end in ends:
            yield {**empty, "messages": [self._message(text[:end])]}
        yield last

    async def _stream(
        self,
        request: web.Request,
        text: str,
        last: Mapping[str, Any],
        scenario: str,
        conversation: ChatApiConversation,
    ) -> web.StreamResponse:
        layout = scenario if scenario in LAYOUTS else "compact"
        # The docs' capture shows this content type; the client must not mind it.
        kind = "event/stream" if scenario == "compact" else "text/event-stream"
        response = web.StreamResponse(headers={"Content-Type": kind, "Cache-Control": "no-cache"})
        await response.prepare(request)
        empty = self._conversation(conversation, displayName=INTERMEDIATE, turns=0, messages=[])
        ends = prefix_ends(text) if text else []
        snapshots = self._snapshots(empty, text, ends, last)
        chunks = encode_events(snapshots, layout, empty)
        if scenario == "dropped":  # compact: one chunk per snapshot
            half = max(1, (len(ends) + 2) // 2)
            return await self._drop(request, response, itertools.islice(chunks, half))
        try:
            for number, chunk in enumerate(chunks):
                await response.write(chunk)
                if scenario == "slow" and number == 1:
                    await self._hold(response)
                if self.host.pace:
                    await asyncio.sleep(self.host.pace)
            await response.write_eof()
        except (ConnectionError, RuntimeError):  # the client closed the stream
            self.streams_closed += 1
            if self._closed is not None:
                self._closed.set()
        return response

    async def _drop(
        self, request: web.Request, response: web.StreamResponse, chunks: Iterable[bytes]
    ) -> web.StreamResponse:
        """The ``dropped`` scenario: write ``chunks``, then drop the connection (no end of the
        chunked body: the client sees the answer cut short)."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            for chunk in chunks:
                await response.write(chunk)
                if self.host.pace:
                    await asyncio.sleep(self.host.pace)
        if request.transport is not None:
            request.transport.abort()
        return response

    async def _hold(self, response: web.StreamResponse) -> None:
        """The ``slow`` scenario: keep the answer open (comments) until the client leaves (a write
        then fails)."""
        while True:
            await response.write(b": still thinking\n\n")
            await asyncio.sleep(0.05)
