"""``Client`` and ``AsyncClient``: the openai package's shape, running the Bing provider here.

Example::

    from g4f.client import Client

    client = Client(url="http://127.0.0.1:8765")          # or $G4F_BING_URL, or Bing
    completion = client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "Hello"}]
    )
    print(completion.choices[0].message.content)
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from ..client.client import BingClient
from ..models import DEFAULT_MODEL
from ..protocol.conversation import Conversation
from ..sync import iterate_sync
from .completion import Part, complete
from .request import CompletionRequest
from .responses import ChatCompletionChunk, ChunkBuilder, CompletionResponse

__all__ = ["AsyncClient", "Client"]


class _Request:
    """One completion: checked when it is made (before any network work), run on demand."""

    def __init__(
        self,
        options: dict[str, Any],
        request: CompletionRequest,
        conversation: Conversation | None,
    ) -> None:
        self.options, self.request, self.conversation = options, request, conversation
        self.builder = ChunkBuilder(model=request.model, prompt_tokens=request.prompt.tokens)

    async def parts(self) -> AsyncGenerator[Part, None]:
        async with BingClient(**self.options) as client:
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
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options

    async def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str = DEFAULT_MODEL,
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
        request = CompletionRequest.build(messages, model=model, max_tokens=max_tokens, stop=stop)
        run = _Request(self._options, request, conversation)
        return run.chunks() if stream else await run.completion()


class _AsyncChat:
    def __init__(self, options: dict[str, Any]) -> None:
        self.completions = _AsyncCompletions(options)


class AsyncClient:
    """``AsyncClient().chat.completions.create(...)``, shaped like ``openai.AsyncOpenAI``.

    Keyword arguments go to :class:`~g4f.client.BingClient` (``url``, ``cookies``, ``proxy``,
    ``timeouts``, ``retry``); each completion uses its own connection.

    Example::

        stream = await AsyncClient().chat.completions.create(
            model="bing-creative", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        async for chunk in stream:
            print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(self, **options: Any) -> None:
        BingClient(**options)  # check the options now, not at the first request
        self.chat = _AsyncChat(options)


async def _single(request: _Request) -> AsyncGenerator[CompletionResponse, None]:
    yield await request.completion()


class _Completions:
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options

    def create(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str = DEFAULT_MODEL,
        stream: bool = False,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        conversation: Conversation | None = None,
        **ignored: Any,
    ) -> CompletionResponse | Iterator[ChatCompletionChunk]:
        """As ``AsyncClient``'s, from sync code (a notebook's running loop included)."""
        request = CompletionRequest.build(messages, model=model, max_tokens=max_tokens, stop=stop)
        run = _Request(self._options, request, conversation)
        if stream:
            return iterate_sync(run.chunks())
        [completion] = iterate_sync(_single(run))
        return completion


class _Chat:
    def __init__(self, options: dict[str, Any]) -> None:
        self.completions = _Completions(options)


class Client:
    """``Client().chat.completions.create(...)``, shaped like ``openai.OpenAI``.

    Example::

        for chunk in Client().chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "Hi"}], stream=True
        ):
            print(chunk.choices[0].delta.content or "", end="")
    """

    def __init__(self, **options: Any) -> None:
        BingClient(**options)  # check the options now, not at the first request
        self.chat = _Chat(options)
