"""``Client`` and ``AsyncClient``: the openai package's shape, running a service's
:class:`~g4f.engine.backend.Backend` here — by default the registry's default service (Bing's
2023 ChatHub), or any service of :mod:`g4f.services.registry`, or a ready backend.

Example::

    from g4f.client import Client

    client = Client(url="http://127.0.0.1:8765")          # or $G4F_BING_URL, or Bing
    completion = client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "Hello"}]
    )
    print(completion.choices[0].message.content)

    copilot = Client(service="m365", token_file="~/.config/m365-token")
    copilot.chat.completions.create(model="m365-copilot", messages=[...])

    from g4f.engine.fake import FakeBackend                # a script of events, no socket

    scripted = Client(backend=FakeBackend([TextDelta("Hi"), Final("Hi")]))
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from ..engine.backend import Backend
from ..protocol.conversation import Conversation
from ..services import registry
from ..services.registry import DEFAULT_SERVICE
from ..sync import iterate_sync
from .completion import Part, complete
from .request import CompletionRequest
from .responses import ChatCompletionChunk, ChunkBuilder, CompletionResponse

__all__ = ["AsyncClient", "Client"]


class _Upstream:
    """Where a client's completions run, checked when the OpenAI-style client is made (not
    at its first request): a ready backend, borrowed and never closed here; or else a new
    backend of ``service`` built from ``options`` for each completion (each then uses its own
    connection). ``service``'s registry entry gives the model table either way."""

    def __init__(self, service: str, options: dict[str, Any], backend: Backend | None) -> None:
        self.entry = registry.entry(service)
        if backend is not None and options:
            raise TypeError(
                f"a ready backend takes no options: {', '.join(sorted(options))} "
                "belong to the backend's own constructor"
            )
        self.options, self._backend = options, backend
        if backend is None:
            self.new_backend()  # its options are checked now

    def new_backend(self) -> Backend:
        """A new backend of the service, from the client's options."""
        return registry.backend_for(self.entry.name, **self.options)

    @contextlib.asynccontextmanager
    async def backend(self) -> AsyncIterator[Backend]:
        """The backend for one completion: the ready one, or a new one closed after it."""
        if self._backend is not None:
            yield self._backend
            return
        async with self.new_backend() as backend:
            yield backend

    def request(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str | None,
        max_tokens: int | None,
        stop: str | Sequence[str] | None,
        search: bool = True,
        files: Sequence[str] = (),
    ) -> CompletionRequest:
        capabilities = self._backend.capabilities if self._backend is not None else None
        return CompletionRequest.build(
            messages,
            model=model,
            max_tokens=max_tokens,
            stop=stop,
            service=self.entry.name,
            capabilities=capabilities,
            search=search,
            files=files,
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
        async with self.upstream.backend() as backend:
            parts = complete(backend, self.request, conversation=self.conversation)
            async with contextlib.aclosing(parts):  # a caller that stops stops the turn now
                async for part in parts:
                    yield part

    async def chunks(self) -> AsyncGenerator[ChatCompletionChunk, None]:
        first = True
        async with contextlib.aclosing(self.parts()) as parts:
            async for part in parts:
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
        search: bool = True,
        files: Sequence[str] = (),
        **ignored: Any,
    ) -> CompletionResponse | AsyncIterator[ChatCompletionChunk]:
        """A :class:`CompletionResponse` (``chat.completion``), or with ``stream=True`` an async
        iterator of chunks.

        ``temperature``, ``top_p``, ``user`` and other OpenAI parameters are accepted and
        ignored: ChatHub has no such settings. ``conversation`` (an extension) continues a
        server-side conversation; ``search=False`` switches web grounding off and ``files``
        names SharePoint/OneDrive documents the answer may read (extensions, for services
        that can: the Chat API's ``graph`` and ``workiq``). Bad input raises ``ValueError`` at
        once; failures of the service raise :class:`~g4f.errors.G4FError` subclasses.
        """
        request = self._upstream.request(messages, model, max_tokens, stop, search, files)
        run = _Request(self._upstream, request, conversation)
        return run.chunks() if stream else await run.completion()


class _AsyncChat:
    def __init__(self, upstream: _Upstream) -> None:
        self.completions = _AsyncCompletions(upstream)


class AsyncClient:
    """``AsyncClient().chat.completions.create(...)``, shaped like ``openai.AsyncOpenAI``.

    ``service`` names a service of :data:`~g4f.services.registry.SERVICES` (by default
    :data:`~g4f.services.registry.DEFAULT_SERVICE`, Bing's); the other keyword arguments go to
    its backend (for Bing :class:`~g4f.client.BingClient`'s ``url``, ``cookies``, ``proxy``,
    ``timeouts``, ``retry``; for Microsoft 365 :class:`~g4f.client.M365Client`'s ``token``,
    ``token_file``, ``url``, …), a new one for each completion. ``backend`` is a ready
    :class:`~g4f.engine.backend.Backend` instead (e.g. a :class:`~g4f.engine.fake.FakeBackend`),
    used for every completion and left open (its owner closes it); ``service`` then only
    chooses the model table. ``model`` defaults to the service's default model.

    Example::

        stream = await AsyncClient().chat.completions.create(
            model="bing-creative", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        async for chunk in stream:
            print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(
        self, *, service: str = DEFAULT_SERVICE, backend: Backend | None = None, **options: Any
    ) -> None:
        self.chat = _AsyncChat(_Upstream(service, options, backend))


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
        search: bool = True,
        files: Sequence[str] = (),
        **ignored: Any,
    ) -> CompletionResponse | Iterator[ChatCompletionChunk]:
        """As ``AsyncClient``'s, from sync code (a notebook's running loop included)."""
        request = self._upstream.request(messages, model, max_tokens, stop, search, files)
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

    Each call runs on a private event loop, so a ready ``backend`` must hold nothing bound to
    a loop between calls (a :class:`~g4f.engine.fake.FakeBackend` does not; a ChatHub client's
    session does: give that to :class:`AsyncClient`, or pass options instead).

    Example::

        for chunk in Client().chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "Hi"}], stream=True
        ):
            print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(
        self, *, service: str = DEFAULT_SERVICE, backend: Backend | None = None, **options: Any
    ) -> None:
        self.chat = _Chat(_Upstream(service, options, backend))
