"""``Client`` and ``AsyncClient``: the openai package's shape, running a ChatHub service here —
Bing's (the default) or Microsoft 365 Copilot's (``service="m365"``).

Example::

    from g4f.client import Client

    client = Client(url="http://127.0.0.1:8765")          # or $G4F_BING_URL, or Bing
    completion = client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "Hello"}]
    )
    print(completion.choices[0].message.content)

    copilot = Client(service="m365", token_file="~/.config/m365-token")
    copilot.chat.completions.create(model="m365-copilot", messages=[...])
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from ..engine.backend import Backend
from ..protocol.conversation import Conversation
from ..services.registry import check_service, client_for
from ..sync import iterate_sync
from .completion import Part, complete
from .request import CompletionRequest
from .responses import ChatCompletionChunk, ChunkBuilder, CompletionResponse

__all__ = ["AsyncClient", "Client"]


class _Upstream:
    """The service a client talks to, and the options of its engine client (checked here,
    when the OpenAI-style client is made, not at its first request)."""

    def __init__(self, service: str, options: dict[str, Any]) -> None:
        self.service, self.options = check_service(service), options
        self.client()

    def client(self) -> Backend:
        """A new engine client (each completion uses its own connection)."""
        return client_for(self.service, **self.options)

    def request(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str | None,
        max_tokens: int | None,
        stop: str | Sequence[str] | None,
    ) -> CompletionRequest:
        return CompletionRequest.build(
            messages, model=model, max_tokens=max_tokens, stop=stop, service=self.service
        )


class _Request:
    """One completion: checked when it is made (before any network work), run on demand."""

    def __init__(
        self,
        upstream: _Upstream,
        request: CompletionRequest,
        conversation: Conversation | None,
    ) -> None:
        self.upstream, self.request, self.conversation = upstream, request, conversation
        self.builder = ChunkBuilder(model=request.model, prompt_tokens=request.prompt.tokens)

    async def parts(self) -> AsyncGenerator[Part, None]:
        async with self.upstream.client() as client:
            async for part in complete(client, self.request, conversation=self.conversation):
                yield part

    async def chunks(self) -> AsyncGenerator[ChatCompletionChunk, None]:
        first = True
        async for part in self.parts():
            if first:
                first = False
                yield self.builder.first()
            yield self.builder.chunk(part)

    async def completion(self) -> CompletionResponse:
        return self.builder.completion([part async for part in self.parts()])


class _AsyncCompletions:
    def __init__(self, upstream: _Upstream) -> None:
        self._upstream = upstream

    async def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = None,
        stream: bool = False,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        conversation: Conversation | None = None,
        **ignored: Any,
    ) -> CompletionResponse | AsyncIterator[ChatCompletionChunk]:
        """A :class:`CompletionResponse` (``chat.completion``), or with ``stream=True`` an async
        iterator of chunks.

        ``temperature``, ``top_p``, ``user`` and other OpenAI parameters are accepted and
        ignored: ChatHub has no such settings. ``conversation`` (an extension) continues a
        server-side conversation. Bad input raises ``ValueError`` at once; failures of the
        service raise :class:`~g4f.errors.G4FError` subclasses.
        """
        request = self._upstream.request(messages, model, max_tokens, stop)
        run = _Request(self._upstream, request, conversation)
        return run.chunks() if stream else await run.completion()


class _AsyncChat:
    def __init__(self, upstream: _Upstream) -> None:
        self.completions = _AsyncCompletions(upstream)


class AsyncClient:
    """``AsyncClient().chat.completions.create(...)``, shaped like ``openai.AsyncOpenAI``.

    ``service`` is ``"bing"`` (the default) or ``"m365"``; the other keyword arguments go to
    :class:`~g4f.client.BingClient` (``url``, ``cookies``, ``proxy``, ``timeouts``, ``retry``)
    or :class:`~g4f.client.M365Client` (``token``, ``token_file``, ``url``, ``tone``, …). Each
    completion uses its own connection. ``model`` defaults to the service's default
    (``gpt-4``, ``m365-copilot``).

    Example::

        stream = await AsyncClient().chat.completions.create(
            model="bing-creative", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        async for chunk in stream:
            print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(self, *, service: str = "bing", **options: Any) -> None:
        self.chat = _AsyncChat(_Upstream(service, options))


async def _single(request: _Request) -> AsyncGenerator[CompletionResponse, None]:
    yield await request.completion()


class _Completions:
    def __init__(self, upstream: _Upstream) -> None:
        self._upstream = upstream

    def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = None,
        stream: bool = False,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        conversation: Conversation | None = None,
        **ignored: Any,
    ) -> CompletionResponse | Iterator[ChatCompletionChunk]:
        """As ``AsyncClient``'s, from sync code (a notebook's running loop included)."""
        request = self._upstream.request(messages, model, max_tokens, stop)
        run = _Request(self._upstream, request, conversation)
        if stream:
            return iterate_sync(run.chunks())
        [completion] = iterate_sync(_single(run))
        return completion


class _Chat:
    def __init__(self, upstream: _Upstream) -> None:
        self.completions = _Completions(upstream)


class Client:
    """``Client().chat.completions.create(...)``, shaped like ``openai.OpenAI``; its arguments
    are :class:`AsyncClient`'s.

    Example::

        for chunk in Client().chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "Hi"}], stream=True
        ):
            print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(self, *, service: str = "bing", **options: Any) -> None:
        self.chat = _Chat(_Upstream(service, options))
