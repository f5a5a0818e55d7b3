"""The Chat API's backend and Python client: :class:`ChatApiClient`, plain HTTPS (no websocket)
on one pooled aiohttp session, for the ``graph`` and ``workiq`` services."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

import aiohttp

from ...engine.backend import BackendBase, Capabilities
from ...engine.config import Limits, Timeouts
from ...engine.failures import request_failure
from ...engine.http import client_session, request_proxy
from ...engine.images import Image
from ...engine.proxy import check_proxy
from ...engine.recorder import CassetteRecorder
from ...engine.redaction import redact_error
from ...engine.retry import RetryPolicy
from ...errors import (
    G4FError,
    NotAuthorized,
    ProtocolError,
    RateLimited,
    TurnTimeout,
    caused_by,
)
from ...protocol import Event, Final, Style
from ...protocol.conversation import Conversation
from ...protocol.framing import load_json
from ...protocol.sse import SseDecoder
from ...urls import Redactor, host_of, redact_url
from .body import context_entries, local_timezone, turn_body
from .failures import failure_for
from .signin import signed_in
from .snapshots import SnapshotReader
from .spec import CONVERSATIONS, HOSTS, Host
from .tokens import CallableToken, StaticToken, TokenFile, TokenProvider

__all__ = ["CAPABILITIES", "ChatApiClient"]

_TOKENS_KEPT = 4
"""Tokens remembered for redaction (a renewed one and the ones before it)."""

CAPABILITIES = Capabilities(search_toggle=True, files=True)
"""Text in, text out; web grounding switchable per turn; SharePoint/OneDrive files per turn;
stopped by closing the stream."""


class _NoToken:
    """No token was given and ``g4f login`` was not run."""

    def __init__(self, service: str) -> None:
        self.advice = (
            f"run `g4f login --service {service} --client-id <your app> --tenant <tenant>`, "
            "or pass --token-file"
        )
        self._service = service

    def token(self) -> str:
        raise NotAuthorized(f"no token for {self._service}", advice=self.advice)


def _provider(
    host: Host,
    token: str | None,
    token_file: str | os.PathLike[str] | None,
    auth: TokenProvider | Callable[[], str] | None,
) -> TokenProvider:
    if auth is not None:
        return auth if isinstance(auth, TokenProvider) else CallableToken(auth)
    if token is not None:
        return StaticToken(token)
    named = token_file or os.environ.get(host.env_token_file, "").strip()
    if named:
        return TokenFile(named, f"g4f login --service {host.name}")
    return signed_in(host.name) or _NoToken(host.name)


_ERROR_BYTES = 64 * 1024
"""How much of an error body is read."""


async def _read_up_to(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body up to ``limit`` bytes, however many pieces it arrives in (one ``read(n)``
    returns only what has arrived so far)."""
    pieces, size = [], 0
    while size < limit:
        piece = await response.content.read(limit - size)
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)


def _throttled_or_unsent(error: G4FError) -> bool:
    """Whether a turn may be sent again: the service throttled it before running it, or it
    never reached the service."""
    return isinstance(error, RateLimited) or error.resend_safe


class ChatApiClient(BackendBase):
    """Microsoft 365 Copilot's documented Chat API (a :class:`~g4f.engine.backend.Backend`),
    with the same ``ask()`` / ``ask_text()`` / conversation API as the other clients.

    ``ask_text`` (a turn not streamed) collects ``chatOverStream`` rather than calling ``chat``:
    one way of reading answers (the last event is the answer, with its attributions), the same
    read timeout between events — ``chat`` sends nothing until the whole answer is ready, so a
    long answer would look like a dead connection — and the same way to stop.

    Args:
        service: ``"graph"`` (Microsoft Graph, beta) or ``"workiq"`` (Work IQ).
        token: a bearer token for that host.
        token_file: a file holding one, re-read when it changes (default: ``$G4F_GRAPH_TOKEN_FILE``
            / ``$G4F_WORKIQ_TOKEN_FILE``).
        auth: a token provider (``.token()``) or a function returning a token; without any of
            the three, the sign-in of ``g4f login --service …``.
        url: another base URL (the hub: ``http://127.0.0.1:8765/beta/copilot``); default
            ``$G4F_GRAPH_URL`` / ``$G4F_WORKIQ_URL``, then the host's.
        time_zone: the IANA time zone sent as ``locationHint`` (default: this machine's).
        timeouts, proxy, retry, record, limits: as for the other clients (``retry`` covers
            conversation create, and turns the service throttled before running them).

    Example::

        async with ChatApiClient(service="graph") as client:
            async for event in client.ask("What is on my calendar?", search=False):
                if isinstance(event, TextDelta):
                    print(event.text, end="")
    """

    def __init__(
        self,
        service: str = "graph",
        *,
        token: str | None = None,
        token_file: str | os.PathLike[str] | None = None,
        auth: TokenProvider | Callable[[], str] | None = None,
        url: str | None = None,
        time_zone: str | None = None,
        timeouts: Timeouts | None = None,
        proxy: str | None = None,
        retry: RetryPolicy | None = None,
        record: str | os.PathLike[str] | None = None,
        limits: Limits | None = None,
    ) -> None:
        if service not in HOSTS:
            raise ValueError(f"the Chat API services are {', '.join(HOSTS)}, not {service!r}")
        self.host = HOSTS[service]
        base = url or os.environ.get(self.host.env_url, "").strip() or self.host.base_url
        if not base.startswith(("https://", "http://")):
            raise ValueError(f"the Chat API base URL must be http(s)://, not {redact_url(base)!r}")
        self.base_url = base.rstrip("/")
        self.auth = _provider(self.host, token, token_file, auth)
        self.time_zone = time_zone or local_timezone()
        self.timeouts, self.limits = timeouts or Timeouts(), limits or Limits()
        self.retry = retry or RetryPolicy()
        self._proxy = check_proxy(proxy) if proxy else None
        self._recorder = CassetteRecorder(record) if record is not None else None
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[str, None] = {}  # the tokens sent (ordered, the last few kept)

    def __repr__(self) -> str:
        proxy = redact_url(self._proxy) if self._proxy else None
        return (
            f"ChatApiClient(service={self.host.name!r}, url={redact_url(self.base_url)!r}, "
            f"auth={self.auth!r}, proxy={proxy!r})"
        )

    @property
    def capabilities(self) -> Capabilities:
        """Text only; web grounding can be switched off per turn."""
        return CAPABILITIES

    async def aclose(self) -> None:
        """Close the pooled connections (a sign-in's too)."""
        close = getattr(self.auth, "close", None)
        if callable(close):
            close()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = client_session(self._proxy, connect=self.timeouts.connect)
        return self._session

    async def _token(self) -> str:
        if isinstance(self.auth, StaticToken):
            token = self.auth.token()
        else:  # a file's stat, or MSAL's silent renewal over the network
            token = await asyncio.to_thread(self.auth.token)
        if self._recorder is not None:
            self._recorder.add_secret(token)
        self._tokens.pop(token, None)
        self._tokens[token] = None
        while len(self._tokens) > _TOKENS_KEPT:
            del self._tokens[next(iter(self._tokens))]
        return token

    def _redacted(self, error: G4FError) -> G4FError:
        """``error`` without the tokens sent, in any form, in any of its texts or its chain of
        causes (whatever the server repeated back: :mod:`g4f.engine.redaction`)."""
        return redact_error(error, self._tokens)

    async def _post(
        self, path: str, body: Mapping[str, Any], *, read: float, partial: str = ""
    ) -> aiohttp.ClientResponse:
        """``POST`` ``body`` to ``path``; the open response (the caller closes it), or the typed
        error for its status or its failure."""
        url = self.base_url + path
        headers = {
            "Authorization": f"Bearer {await self._token()}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        try:
            response = await self._get_session().post(
                url,
                data=json.dumps(body, ensure_ascii=False).encode(),
                headers=headers,
                proxy=request_proxy(self._proxy),
                timeout=aiohttp.ClientTimeout(total=None, sock_read=read),
            )
        except Exception as exc:  # mapped to a typed error, or raised as it is
            failure = caused_by(request_failure(exc, url, self._proxy, read), exc)
        else:
            if response.status < 400:
                return response
            failure = await self._failure(response, partial)
        raise failure

    async def _failure(self, response: aiohttp.ClientResponse, partial: str) -> G4FError:
        try:
            raw = await _read_up_to(response, _ERROR_BYTES)
        except (aiohttp.ClientError, TimeoutError):
            raw = b""
        finally:
            response.release()
        return failure_for(
            response.status,
            response.headers,
            # Before it is cut to length: a cut token would not be recognised afterwards.
            Redactor(self._tokens)(raw.decode("utf-8", errors="replace")),
            host=host_of(self.base_url),
            login_advice=self.auth.advice,
            partial_text=partial,
        )

    async def _read_json(self, response: aiohttp.ClientResponse) -> Any:
        try:
            raw = await _read_up_to(response, self.limits.max_create_bytes + 1)
        finally:
            response.release()
        if len(raw) > self.limits.max_create_bytes:
            raise ProtocolError(f"the answer is larger than {self.limits.max_create_bytes} bytes")
        try:
            return load_json(raw.decode("utf-8", errors="replace"))
        except ValueError:
            raise ProtocolError(f"{host_of(self.base_url)} answered no JSON") from None

    async def create_conversation(self) -> Conversation:
        """``POST /conversations``: a new server-side conversation (retried when transient)."""

        async def attempt() -> Conversation:
            response = await self._post(CONVERSATIONS, {}, read=self.timeouts.create)
            data = await self._read_json(response)
            conversation_id = data.get("id") if isinstance(data, Mapping) else None
            if not isinstance(conversation_id, str) or not conversation_id:
                raise ProtocolError("the created conversation has no id")
            return Conversation(conversation_id, self.host.name, tone=None)

        failure: G4FError | None = None
        try:
            return await self.retry.run(attempt)
        except G4FError as exc:
            failure = self._redacted(exc)
        raise failure  # outside the except: the original is no __context__ of it

    async def start_conversation(self, style: Style | str = Style.PRECISE) -> Conversation:
        """A new conversation (the Chat API has no styles: ``style`` is kept, not sent)."""
        conversation = await self.create_conversation()
        conversation.style = Style.parse(style)
        return conversation

    async def check(self) -> None:
        """A readiness probe: a token, and a conversation created with it."""
        await self.create_conversation()

    async def _open_turn(
        self, conversation: Conversation, body: Mapping[str, Any]
    ) -> aiohttp.ClientResponse:
        """The turn's stream, retried only when the service throttled it before running it."""
        path = self.host.chat_path(conversation.conversation_id, stream=True)
        # The retry policy's rules (its deadline, on_retry), never past the turn's own limit:
        # a Retry-After beyond them fails at once, carrying retry_after, instead of sleeping.
        policy = dataclasses.replace(
            self.retry, deadline=min(self.retry.deadline, self.timeouts.turn)
        )
        return await policy.run(
            lambda: self._post(path, body, read=self.timeouts.read), when=_throttled_or_unsent
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
        """Run one turn: create a conversation unless given one, then ``chatOverStream``; yield
        :class:`~g4f.protocol.TextDelta` events, ``Sources`` and :class:`~g4f.protocol.Final`.

        Later turns send only the new text (the service keeps the history). ``context`` (the
        earlier messages of a stateless request, the seed's ``[role](#message)`` block) goes to
        a new conversation as ``additionalContext``, one entry per message — never into the
        prompt. ``search=False`` switches web grounding off for this turn; ``files`` are
        SharePoint/OneDrive URLs the answer may read. ``tone`` and ``images`` are not
        supported (``ValueError``). Closing the generator closes the stream at once.
        """
        if images:
            raise ValueError("the Chat API takes no images (text in, text out)")
        if tone is not None:
            raise ValueError("the Chat API has no models to choose (Copilot chooses)")
        # Given context is sent on any turn, as by every backend: which turns get it (a new
        # conversation's, in the OpenAI surfaces) is the caller's rule (openai.turn_events).
        entries = context_entries(context)
        body = turn_body(prompt, time_zone=self.time_zone, context=entries, search=search,
                         files=files)  # fmt: skip
        if conversation is None:
            conversation = await self.start_conversation(style or Style.PRECISE)
        failure: G4FError | None = None
        try:
            async for event in self._run(conversation, prompt, body):
                yield event
        except G4FError as exc:
            failure = self._redacted(exc)
        if failure is not None:
            raise failure  # outside the except: the original is no __context__ of it

    async def _run(
        self, conversation: Conversation, prompt: str, body: Mapping[str, Any]
    ) -> AsyncGenerator[Event, None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeouts.turn
        if self._recorder is not None:
            self._recorder.record("send", json.dumps(body, ensure_ascii=False))
        response = await self._open_turn(conversation, body)
        conversation.turn += 1
        reader = SnapshotReader(prompt)
        decoder = SseDecoder(max_event_bytes=self.limits.max_message_bytes)
        done = False
        try:
            async for chunk in self._chunks(response, reader):
                for event in decoder.feed(chunk) if chunk else decoder.close():
                    if self._recorder is not None:
                        self._recorder.record("recv", event.data)
                    for out in reader.feed(event.data):
                        yield out
                if loop.time() > deadline:
                    raise TurnTimeout(
                        f"the answer did not end within {self.timeouts.turn:g}s",
                        partial_text=reader.shown,
                    )
            done = True
        finally:
            if done:
                response.release()  # the whole body was read: the connection goes back
            else:
                response.close()  # stopped or failed: drop the stream at once
            if self._recorder is not None:
                await self._recorder.flush()
        for last in reader.finish():
            if isinstance(last, Final):
                conversation.answered = reader.turn_count or conversation.answered + 1
            yield last

    async def _chunks(
        self, response: aiohttp.ClientResponse, reader: SnapshotReader
    ) -> AsyncGenerator[bytes, None]:
        """The body's chunks as they arrive, then ``b""`` for its end; read failures typed."""
        while True:
            try:
                chunk = await response.content.readany()
            except Exception as exc:  # mapped to a typed error, or raised as it is
                failure = caused_by(
                    request_failure(exc, self.base_url, self._proxy, self.timeouts.read), exc
                )
                if isinstance(failure, G4FError):
                    failure.partial_text = reader.shown
            else:
                yield chunk
                if not chunk:
                    return
                continue
            raise failure  # outside the except: the original is no __context__ of it
