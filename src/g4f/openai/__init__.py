"""The OpenAI-shaped surface over any :class:`~g4f.engine.backend.Backend`, shared by
``g4f api`` and the in-process ``Client`` / ``AsyncClient``: request checking and message
folding (:mod:`.request`), the ``max_tokens``/``stop`` limiter (:mod:`.limits`), one
completion's run (:mod:`.completion`), the response objects and SSE chunks (:mod:`.responses`).
"""

from .client import AsyncClient, Client
from .completion import Part, complete, whole_text
from .limits import FinishReason, StopLimiter
from .request import (
    BadRequest,
    CompletionRequest,
    Prompt,
    UnknownModel,
    estimate_tokens,
    fold_messages,
    style_for,
)
from .responses import ChatCompletionChunk, ChunkBuilder, CompletionResponse

__all__ = [
    "AsyncClient",
    "BadRequest",
    "ChatCompletionChunk",
    "ChunkBuilder",
    "Client",
    "CompletionRequest",
    "CompletionResponse",
    "FinishReason",
    "Part",
    "Prompt",
    "StopLimiter",
    "UnknownModel",
    "complete",
    "estimate_tokens",
    "fold_messages",
    "style_for",
    "whole_text",
]
