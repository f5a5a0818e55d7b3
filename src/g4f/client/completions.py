"""OpenAI-style chat completions over the ChatHub engine: shared by ``g4f api`` and ``Client``.

Pure parts (message folding, token estimates, ``max_tokens``/``stop`` limits, the response
shapes) plus :func:`complete`, which runs one turn and yields :class:`Part`\\ s.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..protocol import Final, Retraction, Style, TextDelta
from .client import BingClient
from .conversation import Conversation

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "BadRequest",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChunkBuilder",
    "CompletionRequest",
    "Part",
    "Prompt",
    "StopLimiter",
    "UnknownModel",
    "complete",
    "estimate_tokens",
    "fold_messages",
    "style_for",
]

DEFAULT_MODEL = "gpt-4"
MODELS: dict[str, Style] = {
    "gpt-4": Style.PRECISE,
    "bing-creative": Style.CREATIVE,
    "bing-balanced": Style.BALANCED,
    "bing-precise": Style.PRECISE,
}
"""Model ids and the conversation style each one means (``gpt-4``: the default style)."""

FinishReason = Literal["stop", "length", "content_filter"]


class BadRequest(ValueError):
    """The request cannot be served as given; ``param`` names the field at fault."""

    def __init__(self, message: str, *, param: str | None = None, code: str = "invalid_request"):
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


class UnknownModel(BadRequest):
    """The model id is not one of :data:`MODELS`."""


def style_for(model: str) -> Style:
    """The style a model id stands for, or :class:`UnknownModel`."""
    try:
        return MODELS[model]
    except KeyError:
        raise UnknownModel(
            f"The model '{model}' does not exist; available: {', '.join(MODELS)}",
            param="model",
            code="model_not_found",
        ) from None


def estimate_tokens(text: str) -> int:
    """An honest estimate of the tokens in ``text``: about four characters per token.

    ChatHub reports no token counts; this is the usual rule of thumb, not a tokenizer.
    """
    return math.ceil(len(text) / 4)


def _content_text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text":
                raise BadRequest(
                    "Only text content parts are supported.", param=f"messages[{index}].content"
                )
            texts.append(str(part.get("text") or ""))
        return "".join(texts)
    raise BadRequest(
        "Message content must be a string or a list of text parts.",
        param=f"messages[{index}].content",
    )


@dataclass(frozen=True, slots=True)
class Prompt:
    """What one turn sends: the prompt and the earlier messages folded into a context block."""

    text: str
    context: str | None

    @property
    def tokens(self) -> int:
        """Estimated prompt tokens."""
        return estimate_tokens(self.text + (self.context or ""))


def fold_messages(messages: Sequence[Mapping[str, Any]]) -> Prompt:
    """The seed's folding: the last message is the prompt, the earlier ones the context.

    Each earlier message becomes ``"[role](#message)\\ncontent\\n\\n"``; a system message becomes
    ``"[system](#additional_instructions)\\ncontent\\n\\n"``, as later clients wrote it.
    """
    if not messages:
        raise BadRequest("messages must not be empty.", param="messages")
    texts: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            raise BadRequest(f"Unsupported role {role!r}.", param=f"messages[{index}].role")
        texts.append((str(role), _content_text(message.get("content"), index)))
    *earlier, (role, prompt) = texts
    if role != "user" or not prompt.strip():
        raise BadRequest("The last message must be a non-empty user message.", param="messages")
    context = "".join(
        f"[system](#additional_instructions)\n{text}\n\n"
        if r == "system"
        else f"[{r}](#message)\n{text}\n\n"
        for r, text in earlier
    )
    return Prompt(prompt, context or None)


class StopLimiter:
    """Applies ``max_tokens`` and stop sequences to streamed text.

    Text that could be the start of a stop sequence is held back until it is known not to be.
    ``finish_reason`` becomes ``"length"`` when either limit ends the answer.
    """

    def __init__(self, max_tokens: int | None = None, stop: Sequence[str] = ()) -> None:
        self.max_chars = max_tokens * 4 if max_tokens is not None else None
        self.stop = [s for s in stop if s]
        self._held = ""
        self._emitted = 0
        self.finish_reason: FinishReason | None = None

    def feed(self, text: str) -> str:
        """The part of ``text`` that may be shown now ("" once a limit was reached)."""
        if self.finish_reason is not None:
            return ""
        pending = self._held + text
        cut = min((i for i in (pending.find(s) for s in self.stop) if i >= 0), default=-1)
        if cut >= 0:
            self.finish_reason = "length"
            self._held = ""
            return self._budget(pending[:cut])
        keep = max((len(s) - 1 for s in self.stop), default=0)
        keep = self._partial_match(pending, keep)
        self._held = pending[len(pending) - keep :] if keep else ""
        return self._budget(pending[: len(pending) - keep])

    def flush(self) -> str:
        """What is still held back, at the end of the answer."""
        held, self._held = self._held, ""
        return self._budget(held) if self.finish_reason is None else ""

    def _partial_match(self, text: str, longest: int) -> int:
        """Length of the longest tail of ``text`` that starts some stop sequence."""
        for size in range(min(longest, len(text)), 0, -1):
            tail = text[-size:]
            if any(s.startswith(tail) for s in self.stop):
                return size
        return 0

    def _budget(self, text: str) -> str:
        if self.max_chars is None:
            return text
        room = self.max_chars - self._emitted
        if len(text) >= room:
            self.finish_reason = "length"
            text = text[: max(room, 0)]
        self._emitted += len(text)
        return text


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a completion: text, or the end with its finish reason."""

    text: str = ""
    finish_reason: FinishReason | None = None
    apology: str | None = None


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """An OpenAI-style request, checked and folded once, before any network work."""

    model: str
    style: Style
    prompt: Prompt
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str = DEFAULT_MODEL,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
    ) -> CompletionRequest:
        """Check the request; :class:`BadRequest` (or :class:`UnknownModel`) if it is bad."""
        if max_tokens is not None and max_tokens < 1:
            raise BadRequest("max_tokens must be at least 1.", param="max_tokens")
        stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
        return cls(model, style_for(model), fold_messages(messages), max_tokens, stops)


async def complete(
    client: BingClient,
    request: CompletionRequest,
    *,
    conversation: Conversation | None = None,
) -> AsyncIterator[Part]:
    """Run one turn for ``request``; the last part has the finish reason.

    A new conversation gets the earlier messages folded into its context; a conversation that
    already has turns gets only the last message: the server keeps its history.
    Upstream failures raise :class:`~g4f.errors.G4FError`; the upstream turn is closed as soon
    as a limit ends the answer or the caller stops iterating.
    """
    limiter = StopLimiter(request.max_tokens, request.stop)
    fresh = conversation is None or conversation.turn == 0
    events = client.ask(
        request.prompt.text,
        conversation=conversation,
        style=request.style,
        context=request.prompt.context if fresh else None,
    )
    async with contextlib.aclosing(events):  # type: ignore[type-var]
        async for event in events:
            if isinstance(event, TextDelta):
                text = limiter.feed(event.text)
                if text:
                    yield Part(text)
                if limiter.finish_reason is not None:
                    yield Part(finish_reason=limiter.finish_reason)
                    return
            elif isinstance(event, Retraction):
                yield Part(finish_reason="content_filter", apology=event.apology)
                return
            elif isinstance(event, Final):
                tail = limiter.flush()
                if tail:
                    yield Part(tail)
                yield Part(finish_reason=limiter.finish_reason or "stop")
                return


# -- response shapes, as the openai package has them ------------------------------------------


class _Model:
    """Attribute access like the openai package's objects, plus ``model_dump()``."""

    def model_dump(self) -> dict[str, Any]:
        """A plain dict of this object (``None`` fields included, as OpenAI sends them)."""
        return asdict(self)  # type: ignore[call-overload, no-any-return]


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
class ChatCompletion(_Model):
    """A ``chat.completion`` object."""

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

    def completion(self, parts: Sequence[Part]) -> ChatCompletion:
        """The non-streaming object for all of a completion's parts."""
        text = "".join(p.text for p in parts)
        last = parts[-1] if parts else Part(finish_reason="stop")
        content = last.apology if last.finish_reason == "content_filter" and last.apology else text
        completion_tokens = estimate_tokens(content)
        return ChatCompletion(
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
