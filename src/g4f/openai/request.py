"""Checking an OpenAI-style chat request and folding its messages, before any network work."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..models import DEFAULT_MODEL, MODELS
from ..protocol.constants import Style
from ..protocol.history import fold
from .limits import MAX_STOP_LENGTH, MAX_STOP_SEQUENCES

__all__ = [
    "BadRequest",
    "CompletionRequest",
    "Prompt",
    "UnknownModel",
    "estimate_tokens",
    "fold_messages",
    "style_for",
]


class BadRequest(ValueError):
    """The request cannot be served as given; ``param`` names the field at fault."""

    def __init__(self, message: str, *, param: str | None = None, code: str = "invalid_request"):
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


class UnknownModel(BadRequest):
    """The model id is not one of :data:`g4f.models.MODELS`."""


def style_for(model: str) -> Style:
    """The style a model id stands for, or :class:`UnknownModel`.

    >>> style_for("bing-creative").value
    'creative'
    """
    entry = MODELS.get(model)
    if entry is None:
        raise UnknownModel(
            f"The model '{model}' does not exist; available: {', '.join(MODELS)}",
            param="model",
            code="model_not_found",
        )
    return entry.style


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
    """Check ``messages`` and fold them as the seed does (:func:`g4f.protocol.history.fold`):
    the last message is the prompt, the earlier ones the context.

    >>> fold_messages([{"role": "system", "content": "Be brief."},
    ...                {"role": "user", "content": "Hi"}])
    Prompt(text='Hi', context='[system](#message)\\nBe brief.\\n\\n')
    """
    if not messages:
        raise BadRequest("messages must not be empty.", param="messages")
    texts: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            raise BadRequest(f"Unsupported role {role!r}.", param=f"messages[{index}].role")
        texts.append((str(role), _content_text(message.get("content"), index)))
    role, prompt = texts[-1]
    if role != "user" or not prompt.strip():
        raise BadRequest("The last message must be a non-empty user message.", param="messages")
    return Prompt(*fold(texts))


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
        if len(stops) > MAX_STOP_SEQUENCES:
            raise BadRequest(
                f"At most {MAX_STOP_SEQUENCES} stop sequences are accepted.", param="stop"
            )
        if any(len(s) > MAX_STOP_LENGTH for s in stops):
            raise BadRequest(
                f"A stop sequence may be at most {MAX_STOP_LENGTH} characters long.", param="stop"
            )
        return cls(model, style_for(model), fold_messages(messages), max_tokens, stops)
