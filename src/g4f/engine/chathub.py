"""The ChatHub engine: conversations and turns over HTTPS and the ChatHub websocket, for any
dialect (:class:`~g4f.engine.dialect.ChatHubDialect`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..errors import G4FError
from ..protocol import Event, Final, Style
from ..protocol.conversation import Conversation
from ..protocol.framing import Record
from ..urls import redact_url
from .backend import BackendBase, Capabilities
from .config import Limits, Timeouts
from .dialect import ChatHubDialect, Turn
from .http import AiohttpGet, client_session, request_proxy
from .images import Image
from .pool import SocketPool
from .proxy import check_proxy
from .recorder import CassetteRecorder
from .redaction import header_secrets, redact_error
from .retry import RetryPolicy
from .websocket import ChatHubSocket

__all__ = ["ChatHubClient"]


def _check_unicode(text: str, what: str) -> None:
    """``ValueError`` unless ``text`` can be sent (UTF-8 has no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{what} is not valid Unicode (a lone surrogate at position {exc.start})"
        ) from None


def _advance_turn(conversation: Conversation) -> None:
    conversation.turn += 1


async def _discard(opening: asyncio.Future[ChatHubSocket]) -> None:
    """Close a speculatively opened websocket, whether it opened, failed or is still opening."""
    if not opening.done():
        opening.cancel()
    with contextlib.suppress(BaseException):
        socket = await opening
        await socket.aclose()


@dataclass(slots=True)
class _PreparedTurn:
    """A turn ready to run: its conversation, the records to send and a websocket for it."""

    conversation: Conversation
    socket: ChatHubSocket
    records: Sequence[Record]
    stop: Record | None
    reused: bool
    """The websocket was kept from an earlier turn (the server may have closed it since)."""
    keep: bool
    """The conversation is the caller's: keep its websocket for its next turn."""


class ChatHubClient(BackendBase):
    """An async client for any ChatHub :class:`~g4f.services.ChatHubDialect`.

    Use it as an async context manager; it owns one HTTP session, closed on exit.

    Args:
        service: what to talk to and how (e.g. :class:`~g4f.services.BingDialect`).
        timeouts: how long each network step may take.
        proxy: ``http://``, ``https://`` or ``socks5://`` proxy URL for every connection
            (SOCKS needs the ``socks`` extra). TLS certificates are always verified.
        retry: how conversation create retries transient failures.
        record: a cassette file to append every websocket message of every turn to.
        max_idle_connections: websockets kept open between the turns of conversations (the
            next turn then costs one round trip); the least recently used close first. Unused
            for services that want one websocket per turn.
        limits: how much the client accepts from a server (body and message sizes).
    """

    def __init__(
        self,
        service: ChatHubDialect,
        *,
        timeouts: Timeouts | None = None,
        proxy: str | None = None,
        retry: RetryPolicy | None = None,
        record: str | os.PathLike[str] | None = None,
        max_idle_connections: int = 16,
        limits: Limits | None = None,
    ) -> None:
        # Open websockets of conversations between turns, least recently used first.
        self._idle: SocketPool[ChatHubSocket] = SocketPool(max_idle_connections)
        self.service = service
        self.timeouts = timeouts or Timeouts()
        self.limits = limits or Limits()
        self.retry = retry or RetryPolicy()
        self._proxy = check_proxy(proxy) if proxy else None
        self._recorder = CassetteRecorder(record) if record is not None else None
        self._session: aiohttp.ClientSession | None = None
        # Whether the last create gave a conversation whose websocket URL is the one known
        # before it, so that the websocket can be opened while the conversation is created.
        self._speculate = service.websocket_url(None) is not None

    def __repr__(self) -> str:
        proxy = redact_url(self._proxy) if self._proxy else None
        return f"{type(self).__name__}(service={self.service!r}, proxy={proxy!r})"

    @property
    def capabilities(self) -> Capabilities:
        """What the dialect's service can do."""
        return self.service.capabilities

    @property
    def max_idle_connections(self) -> int:
        """How many websockets are kept open between turns at most."""
        return self._idle.max_idle

    async def aclose(self) -> None:
        """Close every websocket kept open between turns, and the HTTP session."""
        await self._idle.close()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = client_session(self._proxy, connect=self.timeouts.connect)
        return self._session

    @property
    def _http_proxy(self) -> str | None:
        return request_proxy(self._proxy)

    async def _open(self, url: str) -> ChatHubSocket:
        return await ChatHubSocket.open(
            self._get_session(),
            url,
            headers=self.service.headers(),
            timeouts=self.timeouts,
            limits=self.limits,
            proxy=self._http_proxy,
            via=self._proxy,
            recorder=self._recorder,
            reader=self.service.reader,
            refused=self.service.upgrade_refused,
            ping_after_handshake=self.service.ping_after_handshake,
        )

    async def _open_for(self, conversation: Conversation) -> ChatHubSocket:
        url = self.service.websocket_url(conversation)
        if url is None:
            raise RuntimeError(f"the {self.service.name} service gave no websocket URL")
        return await self._open(url)

    async def check(self) -> None:
        """Check that the service answers: open a websocket, complete the handshake, close it.

        Raises the typed :class:`~g4f.errors.G4FError` when it does not (a readiness probe).
        """
        url = self.service.websocket_url(None)
        conversation = None
        if url is None:  # a conversation the client makes up (no I/O) gives one
            conversation = await self.create_conversation()
            url = self.service.websocket_url(conversation)
        if url is None:
            raise ValueError(f"the {self.service.name} service has no websocket to check")
        failure: G4FError | None = None
        try:
            socket = await self._open(url)
            try:
                await socket.handshake()
            finally:
                await socket.aclose()
        except G4FError as exc:
            failure = self._redacted(exc, conversation)
        if failure is not None:
            raise failure

    def _redacted(self, error: G4FError, conversation: Conversation | None) -> G4FError:
        """``error`` without the user's credentials, in any form, in any of its texts or its
        chain of causes: the one place every error of the engine passes through, whatever the
        server repeated back (:mod:`g4f.engine.redaction`)."""
        secrets = header_secrets(self.service.headers())
        if conversation is not None:
            secrets.extend(self.service.secrets(conversation))
        return redact_error(error, secrets)

    async def start_conversation(self, style: Style | str = Style.PRECISE) -> Conversation:
        """Create a conversation and open its websocket, together where the service allows.

        When the conversation's websocket URL is known before it is created (Bing's 2023 shape,
        with the signature in the create response's body), the websocket is opened while the
        conversation is created: both take one round trip, and the first answer comes one round
        trip sooner. The websocket is kept for the conversation's first turn (see
        ``max_idle_connections``).
        """
        if self.service.websocket_per_turn:  # its websocket belongs to its first turn
            return await self.create_conversation(style)
        failure: G4FError | None = None
        try:
            conversation, socket = await self._start(Style.parse(style))
        except G4FError as exc:
            failure = self._redacted(exc, None)
        if failure is not None:
            raise failure
        await self._keep(conversation, socket)
        return conversation

    async def _start(self, style: Style) -> tuple[Conversation, ChatHubSocket]:
        """A new conversation and an open websocket for it (opened early when possible)."""
        early = self.service.websocket_url(None) if self._speculate else None
        if early is None:
            conversation = await self.create_conversation(style)
            return conversation, await self._open_for(conversation)
        opening = asyncio.ensure_future(self._open(early))
        try:
            conversation = await self.create_conversation(style)
        except BaseException:
            await _discard(opening)
            raise
        self._speculate = self.service.websocket_url(conversation) == early
        if self._speculate:
            with contextlib.suppress(G4FError):
                return conversation, await opening
        else:
            await _discard(opening)  # the websocket needs the conversation's URL: open another
        return conversation, await self._open_for(conversation)

    async def _keep(self, conversation: Conversation, socket: ChatHubSocket) -> None:
        if self.service.websocket_per_turn:
            await socket.aclose()
        else:
            await self._idle.keep(conversation.conversation_id, socket)

    async def create_conversation(self, style: Style | str = Style.PRECISE) -> Conversation:
        """Create a new server-side conversation, retrying transient failures."""
        chosen = Style.parse(style)
        get = self._http()

        async def attempt() -> Conversation:
            return await self.service.create_conversation(get, chosen, self.timeouts.create)

        failure: G4FError | None = None
        try:
            return await self.retry.run(attempt)
        except G4FError as exc:
            failure = self._redacted(exc, None)
        raise failure

    def _http(self) -> AiohttpGet:
        return AiohttpGet(
            self._get_session(),
            max_bytes=self.limits.max_create_bytes,
            proxy=self._http_proxy,
            via=self._proxy,
        )

    async def _annotations(
        self, conversation: Conversation, images: Sequence[Image]
    ) -> tuple[Mapping[str, Any], ...]:
        """Upload the turn's images (checked already); their annotations."""
        post = self._http().post_form
        return tuple(
            [
                await self.service.upload_image(post, conversation, image, self.timeouts.create)
                for image in images
            ]
        )

    async def ask(
        self,
        prompt: str,
        *,
        conversation: Conversation | None = None,
        style: Style | str | None = None,
        context: str | None = None,
        search: bool = True,
        tone: str | None = None,
        images: Sequence[Image] = (),
        files: Sequence[str] = (),
    ) -> AsyncGenerator[Event, None]:
        """Send one user turn and yield its events, ending with :class:`~g4f.protocol.Final`.

        Without ``conversation`` a new one is created for this turn alone (the seed's stateless
        way; ``context`` then carries earlier history). With one, this is its next turn; the
        conversation's turn counter advances as soon as the invocation is sent, so a failed or
        interrupted turn never makes the next one reuse its invocation id.

        ``tone`` picks the model, for a service that names models by tone (Microsoft 365
        Copilot); given with a conversation, it becomes the conversation's tone. ``images`` are
        uploaded first and attached to the turn (a service without images raises
        ``ValueError``). ``files`` (document URLs) no ChatHub takes: ``ValueError``.
        """
        if files:
            raise ValueError(f"the {self.service.name} service takes no file URLs")
        used = [conversation] if conversation is not None else []
        failure: G4FError | None = None
        try:
            turn = await self._prepare(
                prompt,
                conversation=conversation,
                style=style,
                context=context,
                search=search,
                tone=tone,
                images=images,
                used=used,
            )
            async with contextlib.aclosing(self._run(turn)) as events:
                async for event in events:
                    yield event
        except G4FError as exc:
            failure = self._redacted(exc, used[0] if used else None)
        if failure is not None:
            raise failure  # outside the except: the original is no __context__ of it

    def _check_turn(
        self, prompt: str, context: str | None, tone: str | None, images: Sequence[Image]
    ) -> None:
        """``ValueError`` for a turn that cannot be sent, before anything is created."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("the prompt must be a non-empty string")
        _check_unicode(prompt, "the prompt")
        if context is not None:
            _check_unicode(context, "the context")
        if tone is not None and (not isinstance(tone, str) or not tone.strip()):
            raise ValueError("the tone must be a non-empty string")
        if tone is not None and not self.capabilities.tones:
            raise ValueError(f"the {self.service.name} service has no tones; choose a style=")
        if images and not self.capabilities.images:
            raise ValueError(f"the {self.service.name} service does not take images")

    async def _prepare(
        self,
        prompt: str,
        *,
        conversation: Conversation | None,
        style: Style | str | None,
        context: str | None,
        search: bool,
        tone: str | None,
        images: Sequence[Image],
        used: list[Conversation],
    ) -> _PreparedTurn:
        """Check the turn; then its conversation (created if none, and added to ``used``), a
        websocket for it (kept, opened early, or opened now), its images uploaded and its
        invocation built."""
        self._check_turn(prompt, context, tone, images)
        await self.service.before_turn()
        chosen = Style.parse(style) if style is not None else None
        keep = conversation is not None
        conversation, socket, reused = await self._conversation_for(
            conversation, chosen or Style.PRECISE, images
        )
        used[:] = [conversation]
        if tone is not None:
            conversation.tone = tone
        try:
            annotations = await self._annotations(conversation, images) if images else ()
            socket = socket or await self._open_for(conversation)
            records = self.service.invocation(
                conversation,
                Turn(
                    prompt,
                    chosen or conversation.style,
                    context=context,
                    search=search,
                    annotations=annotations,
                ),
            )
        except BaseException:
            if socket is not None:
                await socket.aclose()
            raise
        if self._recorder is not None:
            for secret in self.service.secrets(conversation):
                self._recorder.add_secret(secret)
        stop = self.service.stop_record(conversation)
        return _PreparedTurn(conversation, socket, records, stop, reused=reused, keep=keep)

    async def _conversation_for(
        self, conversation: Conversation | None, style: Style, images: Sequence[Image]
    ) -> tuple[Conversation, ChatHubSocket | None, bool]:
        """The turn's conversation; a websocket already open for it, if any; whether that
        websocket was kept from an earlier turn."""
        if conversation is not None:
            socket = self._idle.get(conversation.conversation_id)
            return conversation, socket, socket is not None
        if images:  # the images are uploaded for the conversation before its websocket
            return await self.create_conversation(style), None, False
        conversation, socket = await self._start(style)
        return conversation, socket, False

    async def _run(self, turn: _PreparedTurn) -> AsyncGenerator[Event, None]:
        """Send a prepared turn and yield its events; then keep its websocket for the
        conversation's next turn (if the turn ended and the conversation is the caller's), or
        close it.

        A kept websocket the server closed while idle fails with
        :class:`~g4f.errors.ConnectError` before the turn reached the service: it is reopened
        once and the turn resent."""
        conversation, socket, reused = turn.conversation, turn.socket, turn.reused
        on_sent: Callable[[], None] | None = functools.partial(_advance_turn, conversation)
        finished = False
        try:
            while True:
                try:
                    async with contextlib.aclosing(
                        socket.turn(turn.records, on_sent=on_sent, stop=turn.stop)
                    ) as events:
                        async for event in events:
                            if isinstance(event, Final):
                                finished = True
                                conversation.answered += 1
                                conversation.expiry_time = (
                                    event.expiry_time or conversation.expiry_time
                                )
                            yield event
                    break
                except G4FError as exc:
                    # A kept websocket the server closed while idle: the turn never reached
                    # the service (resend_safe), so reopen once and resend.
                    if not (reused and exc.resend_safe):
                        raise
                    reused, on_sent = False, None
                    socket = await self._open_for(conversation)
        finally:
            if turn.keep and finished and not socket.closed:
                await self._keep(conversation, socket)
            else:
                await socket.aclose()
