"""The response objects, shaped as the openai package has them, and the SSE chunk builder."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .completion import Part, whole_text
from .request import estimate_tokens

__all__ = [
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "Choice",
    "ChoiceDelta",
    "ChunkBuilder",
    "ChunkChoice",
    "CompletionResponse",
    "CompletionUsage",
]


@dataclass(slots=True)
class _Model:
    """Attribute access like the openai package's objects, plus ``model_dump()``."""

    def model_dump(self) -> dict[str, Any]:
        """A plain dict of this object (``None`` fields included, as OpenAI sends them)."""
        return asdict(self)


@dataclass(slots=True)
class ChatCompletionMessage(_Model):
    """The answer of a non-streaming completion."""

    content: str
    role: str = "assistant"


@dataclass(slots=True)
class Choice(_Model):
    """One choice of a completion (there is always exactly one)."""

    message: ChatCompletionMessage
    finish_reason: str
    index: int = 0


@dataclass(slots=True)
class CompletionUsage(_Model):
    """Token counts, estimated (see :func:`estimate_tokens`)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(slots=True)
class CompletionResponse(_Model):
    """A ``chat.completion`` object (the openai package calls its class ``ChatCompletion``)."""

    id: str
    choices: list[Choice]
    created: int
    model: str
    usage: CompletionUsage
    object: str = "chat.completion"
    conversation_id: str | None = None


@dataclass(slots=True)
class ChoiceDelta(_Model):
    """What a chunk adds."""

    content: str | None = None
    role: str | None = None


@dataclass(slots=True)
class ChunkChoice(_Model):
    """The choice of a streamed chunk."""

    delta: ChoiceDelta
    finish_reason: str | None = None
    index: int = 0


@dataclass(slots=True)
class ChatCompletionChunk(_Model):
    """A ``chat.completion.chunk`` object."""

    id: str
    choices: list[ChunkChoice]
    created: int
    model: str
    object: str = "chat.completion.chunk"
    conversation_id: str | None = None


@dataclass
class ChunkBuilder:
    """Builds one completion's chunks (one id for all) and its non-streaming object."""

    model: str
    prompt_tokens: int = 0
    conversation_id: str | None = None
    id: str = field(default_factory=lambda: "chatcmpl-" + os.urandom(12).hex())
    created: int = field(default_factory=lambda: int(time.time()))
    _template: tuple[str, str] | None = field(default=None, repr=False)

    def _chunk(self, delta: ChoiceDelta, finish_reason: str | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self.id,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
            created=self.created,
            model=self.model,
            conversation_id=self.conversation_id,
        )

    def chunk_json(self, part: Part | None = None) -> str:
        """The JSON text of :meth:`first` (``part`` None) or :meth:`chunk`, built from a
        template: a streaming server sends one per update, and building the object and
        serialising it generically costs several times more."""
        if self._template is None:
            tail = json.dumps(
                {
                    "created": self.created,
                    "model": self.model,
                    "object": "chat.completion.chunk",
                    "conversation_id": self.conversation_id,
                },
                ensure_ascii=False,
            )[1:]
            self._template = (f'{{"id":{json.dumps(self.id)},"choices":[{{"delta":', tail)
        head, tail = self._template
        if part is None:
            delta, reason = '{"content":"","role":"assistant"}', "null"
        elif part.finish_reason is not None:
            delta, reason = '{"content":null,"role":null}', f'"{part.finish_reason}"'
        else:
            delta = f'{{"content":{json.dumps(part.text, ensure_ascii=False)},"role":null}}'
            reason = "null"
        return f'{head}{delta},"finish_reason":{reason},"index":0}}],{tail}'

    def first(self) -> ChatCompletionChunk:
        """The first chunk: the role."""
        return self._chunk(ChoiceDelta(role="assistant", content=""))

    def chunk(self, part: Part) -> ChatCompletionChunk:
        """The chunk for one part (text, or the last chunk with the finish reason)."""
        if part.finish_reason is not None:
            return self._chunk(ChoiceDelta(), part.finish_reason)
        return self._chunk(ChoiceDelta(content=part.text))

    def completion(self, parts: Sequence[Part]) -> CompletionResponse:
        """The non-streaming object for all of a completion's parts."""
        last = parts[-1] if parts else Part(finish_reason="stop")
        content = whole_text(parts)
        completion_tokens = estimate_tokens(content)
        return CompletionResponse(
            id=self.id,
            choices=[
                Choice(
                    message=ChatCompletionMessage(content=content),
                    finish_reason=last.finish_reason or "stop",
                )
            ],
            created=self.created,
            model=self.model,
            usage=CompletionUsage(
                prompt_tokens=self.prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=self.prompt_tokens + completion_tokens,
            ),
            conversation_id=self.conversation_id,
        )
