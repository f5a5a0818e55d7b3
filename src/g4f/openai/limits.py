"""Applying ``max_tokens`` and stop sequences to streamed text."""

from __future__ import annotations

from collections.abc import Sequence

from .request import FinishReason

__all__ = ["StopLimiter"]


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
