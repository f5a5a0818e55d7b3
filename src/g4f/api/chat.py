"""``POST /v1/chat/completions`` — now the Chat Completions shape
(:mod:`g4f.api.shapes.chat_completions`) over the shared turn runner (:mod:`g4f.api.turns`);
kept so that imports of :class:`ChatCompletions` from here still work."""

from __future__ import annotations

from .shapes.chat_completions import ChatCompletions

__all__ = ["ChatCompletions"]
