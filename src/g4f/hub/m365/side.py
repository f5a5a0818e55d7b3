"""The hub's Microsoft 365 Copilot side: ``/m365Copilot/Chathub/{oid}@{tid}`` and
``/m365Copilot/UploadFile``, as M365-CHATHUB.md describes them (not as our client happens to
use them).

The token is checked at the upgrade (well-formed, audience, expiry, ``oid``/``tid`` matching the
path: 401 otherwise; unsigned test tokens are accepted, see :func:`make_test_token`).
Conversations are made by their first turn and kept by id, with the 600-message limit and an
expiry; a ``stop`` is acknowledged; uploaded images are kept for the turn that annotates them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from ...errors import ProtocolError
from ...protocol.constants import RecordType
from ...protocol.framing import HANDSHAKE_RESPONSE, Record, RecordDecoder, encode_record
from ..host import Host, bearer_token
from ..network import Wire
from ..responder import Reply, TurnRequest, reply_to
from ..steps import Abort, CloseSocket, Send
from ..table import forget_old
from .scripts import (
    THROTTLED_UPGRADE,
    Completed,
    M365Plan,
    M365Step,
    WaitForStop,
    check_m365_scenario,
    failure,
    m365_script,
    stop_acknowledgement,
    unknown_tone,
)
from .spec import (
    ACCESS_TOKEN_PARAM,
    AUDIENCE,
    CHAT_TARGET,
    CHATHUB_PATH,
    CONVERSATION_ID_PARAM,
    CONVERSATION_TTL,
    DEFAULT_MAX_MESSAGES,
    DEFAULT_TONE,
    METRICS_TARGET,
    SESSION_ID_PARAM,
    SOURCE,
    STOP_TARGET,
    STOPPED_TEXT,
    TONES,
    UPLOAD_PATH,
    UPLOAD_SCENARIO,
    Result,
)
from .token import claims_of, encrypted_claims_of, ids_of
from .uploads import Upload, read_data_url

__all__ = ["KEPT", "MAX_UPLOADS", "M365Conversation", "M365Hub"]

MAX_UPLOADS = 256
"""Uploaded images kept (the oldest are forgotten first)."""
KEPT = 1000
"""Invocations, queries, origins and rejections kept for tests to read (the latest)."""


@dataclass
class M365Conversation:
    """The hub's state of one Microsoft 365 Copilot conversation."""

    conversation_id: str
    oid: str
    expires_at: float
    history: list[tuple[str, str]] = field(default_factory=list)
    busy: bool = False


class M365Hub:
    """Microsoft 365 Copilot's Chathub on the hub (see :class:`~g4f.hub.Hub`, which owns one as
    ``hub.m365``).

    Args:
        host: the hub it belongs to (its responder, pace and websocket bookkeeping).
        scenario: the scenario of every turn from now on (see
            :data:`~g4f.hub.m365.scripts.M365_SCENARIOS`); assign :attr:`scenario` to change it.
        max_messages: user messages a conversation may have.
        conversation_ttl: seconds a conversation lives.
        clock: monotonic seconds (conversation expiry), replaceable in tests.
        now: seconds since the epoch (token expiry), replaceable in tests.
        tones: the tones the hub accepts; any other is refused as the service refuses it.
        denied_oids: users whose upgrade gets 403 (no licence, or blocked).
        cassette: recorded turns to replay (scenario ``cassette``: a conversation's turn *n*
            plays recorded turn *n*, then the websocket closes).
        max_conversations: conversations kept; past it the oldest are forgotten, as expired
            ones are (when a conversation starts).

    Attributes read by tests: ``invocations`` (each turn's invocation argument, as received),
    ``queries`` (each upgrade's query, without the token), ``origins``, ``stops_received``,
    ``metrics_received``, ``uploads`` by ``docId``, ``rejections`` (why each upgrade was refused).
    """

    source = SOURCE
    """The invocation ``source`` of Microsoft 365 Copilot's clients."""

    def __init__(
        self,
        host: Host,
        *,
        scenario: str = "stream",
        max_messages: int = DEFAULT_MAX_MESSAGES,
        conversation_ttl: float = CONVERSATION_TTL,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        tones: tuple[str, ...] = TONES,
        denied_oids: tuple[str, ...] = (),
        cassette: Sequence[Sequence[str]] | None = None,
        max_conversations: int = 10_000,
    ) -> None:
        if max_messages < 1 or conversation_ttl <= 0:
            raise ValueError("max_messages must be >= 1 and conversation_ttl > 0")
        self.host = host
        self.cassette = [list(turn) for turn in cassette] if cassette is not None else None
        self.scenario = check_m365_scenario("cassette" if cassette is not None else scenario)
        self.max_messages, self.conversation_ttl = max_messages, conversation_ttl
        self.clock, self.now = clock, now
        self.tones, self.denied_oids = tones, denied_oids
        self.max_conversations = max_conversations
        self.conversations: dict[str, M365Conversation] = {}
        self.uploads: dict[str, Upload] = {}
        # What tests read, bounded so that a long-running hub does not grow.
        self.invocations: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self.queries: deque[dict[str, str]] = deque(maxlen=KEPT)
        self.origins: deque[str | None] = deque(maxlen=KEPT)
        self.rejections: deque[str] = deque(maxlen=KEPT)
        self.stops_received = 0
        self.metrics_received = 0
        self.metrics_with_invocation = 0
        """Invocations whose websocket message carried a ``Metrics`` record too (§3)."""
        self.pings_before_invocation = 0
        """Websockets on which the client pinged before its invocation (§3)."""
        self.upload_forms: deque[dict[str, Any]] = deque(maxlen=KEPT)
        """Each upload's content type and fields other than the image (for tests)."""
        self.retry_after = 37
        """The ``Retry-After`` of the ``throttled-upgrade`` scenario's 429."""

    def add_routes(self, app: web.Application) -> None:
        """Serve the Chathub and ``UploadFile`` on ``app``."""
        app.router.add_get(CHATHUB_PATH.format(oid="{oid}", tid="{tid}"), self._chathub)
        app.router.add_post(UPLOAD_PATH, self._upload)

    def play_cassette(self, turns: Sequence[Sequence[str]]) -> None:
        """Replay these recorded turns from now on (scenario ``cassette``)."""
        self.cassette, self.scenario = [list(turn) for turn in turns], "cassette"

    # -- the token ---------------------------------------------------------------------------

    def _refusal(self, token: str | None, oid: str, tid: str) -> web.Response | None:
        """The 401 or 403 for a token the service would refuse, or ``None``."""
        if not token:
            return self._reject(401, "no access token")
        if " " in token:
            return self._reject(401, "malformed token (was it URL-encoded?)")
        encrypted = token.count(".") == 4
        try:
            claims = encrypted_claims_of(token) if encrypted else claims_of(token)
        except ValueError as exc:
            return self._reject(401, str(exc))
        if not encrypted and claims.get("aud") != AUDIENCE:
            return self._reject(401, f"wrong audience {claims.get('aud')!r}")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= self.now():
            return self._reject(401, "the token has expired")
        if claims.get("oid") != oid or claims.get("tid") != tid:
            return self._reject(401, "the token's oid/tid do not match the path")
        if oid in self.denied_oids:
            return self._reject(403, "no Microsoft 365 Copilot licence for this user")
        return None

    def _reject(self, status: int, why: str) -> web.Response:
        self.rejections.append(why)
        return web.json_response({"error": why}, status=status)

    # -- UploadFile ----------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        token = bearer_token(request)
        claims_oid, claims_tid = ids_of(token)
        refused = self._refusal(token, claims_oid, claims_tid)
        if refused is not None:
            return refused
        try:
            form = await request.post()
        except ValueError:
            return web.json_response({"error": "the body is not a form"}, status=400)
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": "the body is too large"}, status=413)
        self.upload_forms.append(
            {
                "content_type": request.content_type,
                "optionsSets": form.getall("optionsSets", []),
                "scenario": request.headers.get("X-Scenario"),
            }
        )
        data_url, conversation_id = form.get("FileBase64"), form.get("conversationId")
        if form.get("scenario") != UPLOAD_SCENARIO or not isinstance(conversation_id, str):
            return web.json_response({"error": "scenario or conversationId missing"}, status=400)
        try:
            data, file_type = read_data_url(data_url if isinstance(data_url, str) else "")
        except ValueError as exc:
            return web.json_response({"error": f"FileBase64: {exc}"}, status=400)
        doc_id, name = uuid.uuid4().hex, f"image.{file_type}"
        self.uploads[doc_id] = Upload(conversation_id, data, file_type, name)
        while len(self.uploads) > MAX_UPLOADS:  # the oldest go first
            del self.uploads[next(iter(self.uploads))]
        return web.json_response({"docId": doc_id, "fileName": name, "fileType": file_type})

    # -- the websocket -------------------------------------------------------------------------

    async def _chathub(self, request: web.Request) -> web.StreamResponse:
        query = {k: v for k, v in request.query.items() if k != ACCESS_TOKEN_PARAM}
        self.queries.append(query)
        self.origins.append(request.headers.get("Origin"))
        oid, tid = request.match_info["oid"], request.match_info["tid"]
        refused = self._refusal(request.query.get(ACCESS_TOKEN_PARAM), oid, tid)
        if refused is not None:
            return refused
        if self.scenario == THROTTLED_UPGRADE:
            self.rejections.append("throttled at the upgrade")
            return web.json_response(
                {"error": "Too Many Requests"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        conversation_id = query.get(CONVERSATION_ID_PARAM)
        if not conversation_id or not query.get(SESSION_ID_PARAM):
            needed = f"{CONVERSATION_ID_PARAM} and {SESSION_ID_PARAM} needed"
            return web.json_response({"error": needed}, status=400)

        token = request.query.get(ACCESS_TOKEN_PARAM, "")

        async def serve(wire: Wire) -> None:
            await _Socket(self, wire, oid, conversation_id, token).run()

        return await self.host.serve_websocket(request, serve)

    # -- turns ---------------------------------------------------------------------------------

    def conversation_for(
        self, argument: dict[str, Any], oid: str, conversation_id: str
    ) -> M365Conversation | str:
        """The conversation a turn continues or starts, or the failure text to send instead."""
        if argument.get("conversationId") != conversation_id:
            return failure(Result.INVALID_REQUEST.value, "conversationId differs from the URL's")
        conversation = self.conversations.get(conversation_id)
        unknown = failure(
            Result.INVALID_SESSION.value,
            f"Conversation '{conversation_id}' does not exist or has expired.",
        )
        if conversation is not None and conversation.oid != oid:
            return unknown  # another user's conversation: neither continued nor replaced
        if conversation is None:  # made by its first turn, whatever isStartOfSession says
            conversation = M365Conversation(
                conversation_id=conversation_id,
                oid=oid,
                expires_at=self.clock() + self.conversation_ttl,
            )
            forget_old(self.conversations, self.clock(), self.max_conversations)
            self.conversations[conversation_id] = conversation
        if conversation.expires_at <= self.clock():
            return failure(
                Result.INVALID_SESSION.value,
                f"Conversation '{conversation_id}' has expired (conversations live 30 days).",
            )
        if conversation.busy:
            return failure(Result.PROCESSING_MESSAGE.value, "A message is in progress.")
        if len(conversation.history) >= self.max_messages:
            return failure(
                Result.INVALID_REQUEST.value,
                f"Conversation '{conversation_id}' reached its limit of {self.max_messages} "
                "messages.",
            )
        return conversation

    def plan(
        self, conversation: M365Conversation, argument: dict[str, Any], tone: str
    ) -> tuple[M365Plan, Reply]:
        """What this turn answers: the responder's reply, plus what the hub saw of images."""
        message = argument["message"]
        prompt = message["text"]
        plugins = argument.get("plugins")
        reply = reply_to(
            self.host.responder,
            TurnRequest(
                prompt=prompt,
                history=tuple(conversation.history),
                style=tone,
                turn=len(conversation.history) + 1,
                conversation_id=conversation.conversation_id,
                search=bool(plugins),
            )
        )
        text = reply.text + self._images_seen(message.get("messageAnnotations"), conversation)
        remaining = conversation.expires_at - self.clock()
        expiry = datetime.now(UTC) + timedelta(seconds=remaining)
        plan = M365Plan(
            conversation_id=conversation.conversation_id,
            request_id=str(message.get("requestId") or uuid.uuid4()),
            prompt=prompt,
            answer=text,
            used=len(conversation.history) + 1,
            limit=self.max_messages,
            expiry_time=expiry.isoformat(timespec="seconds"),
            sources=reply.sources,
            suggestions=reply.suggestions,
            search_query=reply.search_query,
        )
        return plan, reply

    def _images_seen(self, annotations: Any, conversation: M365Conversation) -> str:
        """A sentence per image annotation: the file and a digest of the bytes uploaded."""
        seen = []
        for annotation in annotations if isinstance(annotations, list) else ():
            if not isinstance(annotation, dict):
                continue
            upload = self.uploads.get(str(annotation.get("id")))
            metadata = annotation.get("messageAnnotationMetadata")
            name = metadata.get("fileName") if isinstance(metadata, dict) else None
            if upload is None or upload.conversation_id != conversation.conversation_id:
                seen.append(f" The image {annotation.get('id')!r} was never uploaded.")
                continue
            digest = hashlib.sha256(upload.data).hexdigest()[:16]
            seen.append(
                f" I see the image {name} ({upload.file_type}, {len(upload.data)} bytes, "
                f"sha256 {digest})."
            )
        return "".join(seen)


class _Socket:
    """One Chathub websocket: the handshake, then turns, each of which may be stopped."""

    def __init__(
        self, hub: M365Hub, wire: Wire, oid: str, conversation_id: str, token: str = ""
    ) -> None:
        self.hub, self.wire, self.oid, self.conversation_id = hub, wire, oid, conversation_id
        self._token = token  # what the client sent; the echo-* scenarios repeat it back
        self._stop = asyncio.Event()
        self._turn: asyncio.Task[None] | None = None
        self._pinged = False

    async def run(self) -> None:
        decoder = RecordDecoder()
        handshaken = False
        try:
            async for text in self.wire.messages():
                try:
                    records = decoder.feed(text)
                except ProtocolError as exc:
                    await self._close_with(exc.message)
                    return
                self._note_message(records)
                for record in records:
                    if not handshaken:
                        if record != {"protocol": "json", "version": 1}:
                            await self._close_with("Unsupported handshake.")
                            return
                        await self.wire.send(
                            HANDSHAKE_RESPONSE + encode_record({"type": int(RecordType.PING)})
                        )
                        handshaken = True
                    else:
                        await self._record(record)
        finally:
            if self._turn is not None:
                self._turn.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await self._turn

    def _note_message(self, records: list[Record]) -> None:
        """Count what tests check of the client's messages: a ping before the invocation,
        the ``Metrics`` record in the invocation's message."""
        targets = {r.get("target") for r in records if r.get("type") != RecordType.PING}
        pinged = any(r.get("type") == RecordType.PING for r in records)
        if pinged and self._turn is None and not self._pinged:
            self._pinged = True
            self.hub.pings_before_invocation += 1
        if CHAT_TARGET in targets and METRICS_TARGET in targets:
            self.hub.metrics_with_invocation += 1

    async def _close_with(self, error: str) -> None:
        await self.wire.send(encode_record({"type": int(RecordType.CLOSE), "error": error}))
        await self.wire.close()

    async def _record(self, record: Record) -> None:
        kind, target = record.get("type"), record.get("target")
        if kind == RecordType.PING:
            await self.wire.send(encode_record({"type": int(RecordType.PING)}))
        elif kind == RecordType.INVOCATION and target == METRICS_TARGET:
            self.hub.metrics_received += 1
        elif kind == RecordType.INVOCATION and target == STOP_TARGET:
            self.hub.stops_received += 1
            self._stop.set()
        elif kind == RecordType.STREAM_INVOCATION and target == CHAT_TARGET:
            if self._turn is not None:  # one chat per websocket (§3)
                await self.wire.send(
                    failure(
                        Result.INVALID_REQUEST.value,
                        "Only one chat invocation is accepted per connection.",
                    )
                )
                return
            self._stop.clear()
            self._turn = asyncio.create_task(self._play(record))

    async def _play(self, record: Record) -> None:
        arguments = record.get("arguments")
        argument = arguments[0] if isinstance(arguments, list) and arguments else None
        if not isinstance(argument, dict) or not isinstance(argument.get("message"), dict):
            await self.wire.send(
                failure(Result.INVALID_REQUEST.value, "The invocation has no message.")
            )
            return
        if not isinstance(argument["message"].get("text"), str):
            await self.wire.send(
                failure(Result.INVALID_REQUEST.value, "The message text is required.")
            )
            return
        self.hub.invocations.append(argument)
        tone = argument.get("tone") or DEFAULT_TONE
        if not isinstance(tone, str) or tone not in self.hub.tones:
            await self.wire.send(unknown_tone(str(tone)))
            return
        conversation = self.hub.conversation_for(argument, self.oid, self.conversation_id)
        if isinstance(conversation, str):
            await self.wire.send(conversation)
            return
        conversation.busy = True
        try:
            plan, reply = self.hub.plan(conversation, argument, tone)
            plan = dataclasses.replace(plan, token=self._token)
            # The message counts from now on, whatever becomes of the answer (a stopped or
            # abandoned turn stays in the history too, with what the service keeps of it).
            history, turn = conversation.history, len(conversation.history)
            history.append((plan.prompt, ""))

            def keep(answer: str) -> None:
                history[turn] = (plan.prompt, answer)

            await self._steps(plan, reply, keep)
        finally:
            conversation.busy = False

    def _script(self, scenario: str, plan: M365Plan) -> list[M365Step]:
        if scenario != "cassette":
            return m365_script(scenario, plan)
        turn, cassette = plan.used - 1, self.hub.cassette or []
        if turn >= len(cassette):
            return [
                Send(failure(Result.INVALID_REQUEST.value, f"The cassette has no turn {turn + 1}."))
            ]
        return [*(Send(text) for text in cassette[turn]), Completed(), CloseSocket()]

    async def _steps(self, plan: M365Plan, reply: Reply, keep: Callable[[str], None]) -> None:
        """Play the turn's script; ``keep`` the answer once it is complete (the stopped text
        if the client stopped it) — before the websocket closes, which ends this task."""
        scenario = reply.scenario or self.hub.scenario
        pace = self.hub.host.pace
        for step in self._script(scenario, plan):
            if self._stop.is_set():
                keep(STOPPED_TEXT)
                await self.wire.send(stop_acknowledgement(plan))
                return
            if isinstance(step, Completed):
                keep(plan.answer)
            elif isinstance(step, Send):
                await self.wire.send(step.text)
                if pace:
                    await asyncio.sleep(pace)
            elif isinstance(step, WaitForStop):
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(step.seconds):
                        await self._stop.wait()
            elif isinstance(step, CloseSocket):
                await self.wire.close()
            elif isinstance(step, Abort):
                await self.wire.abort()
