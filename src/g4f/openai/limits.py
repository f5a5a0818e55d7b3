"""Applying ``max_tokens`` and stop sequences to streamed text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

__all__ = ["MAX_STOP_LENGTH", "MAX_STOP_SEQUENCES", "FinishReason", "StopLimiter"]

FinishReason = Literal["stop", "length", "content_filter"]


MAX_STOP_SEQUENCES = 4
"""The most stop sequences a request may give (OpenAI's own limit)."""
MAX_STOP_LENGTH = 1000
"""The longest stop sequence accepted, in characters."""


def _failure(pattern: str) -> list[int]:
    """Knuth–Morris–Pratt: for each prefix of ``pattern``, the length of its longest proper
    suffix that is also a prefix."""
    fail = [0] * len(pattern)
    k = 0
    for i in range(1, len(pattern)):
        while k and pattern[i] != pattern[k]:
            k = fail[k - 1]
        if pattern[i] == pattern[k]:
            k += 1
        fail[i] = k
    return fail


class _Stop:
    """One stop sequence and how much of it the text so far ends with."""

    __slots__ = ("fail", "matched", "text")

    def __init__(self, text: str) -> None:
        self.text, self.fail, self.matched = text, _failure(text), 0

    def advance(self, new: str) -> None:
        """Follow the text ``new`` that was appended (no whole match lies in it)."""
        if len(new) >= len(self.text) - 1:
            # A partial match at the end is shorter than the sequence: it starts in the last
            # len - 1 characters, so only those need reading.
            self.matched, new = 0, new[len(new) - len(self.text) + 1 :]
        text, fail, k = self.text, self.fail, self.matched
        for char in new:
            while k and char != text[k]:
                k = fail[k - 1]
            if char == text[k]:
                k += 1
            if k == len(text):  # cannot happen after a find() found none; stay safe anyway
                k = fail[k - 1]
        self.matched = k


class StopLimiter:
    """Applies ``max_tokens`` and stop sequences to streamed text, in time linear in the text.

    Text that could be the start of a stop sequence is held back until it is known not to be.
    ``finish_reason`` becomes ``"length"`` when either limit ends the answer.

    >>> limiter = StopLimiter(stop=["END"])
    >>> limiter.feed("Hello E"), limiter.feed("N"), limiter.feed("D and more")
    ('Hello ', '', '')
    >>> limiter.finish_reason
    'length'
    """

    def __init__(self, max_tokens: int | None = None, stop: Sequence[str] = ()) -> None:
        self.max_chars = max_tokens * 4 if max_tokens is not None else None
        self._stops = [_Stop(s) for s in stop if s]
        self._held = ""
        self._emitted = 0
        self.finish_reason: FinishReason | None = None
        self.stop_sequence: str | None = None
        """The stop sequence that ended the answer (``None``: none did)."""

    @property
    def stop(self) -> list[str]:
        """The stop sequences."""
        return [s.text for s in self._stops]

    def feed(self, text: str) -> str:
        """The part of ``text`` that may be shown now ("" once a limit was reached)."""
        if self.finish_reason is not None:
            return ""
        pending = self._held + text  # the held part is shorter than the longest sequence
        match = self._first_match(pending)
        if match is not None:
            cut, self.stop_sequence = match
            self.finish_reason = "length"
            self._held = ""
            return self._budget(pending[:cut])
        keep = 0
        for stop in self._stops:
            stop.advance(text)
            keep = max(keep, stop.matched)
        self._held = pending[len(pending) - keep :] if keep else ""
        return self._budget(pending[: len(pending) - keep])

    def _first_match(self, pending: str) -> tuple[int, str] | None:
        """Where the answer stops: at the stop sequence that is complete first (the longest,
        if several end there) — as a model stopping token by token would, whatever the chunks."""
        found = []
        for stop in self._stops:
            start = pending.find(stop.text)  # the earliest start is this sequence's earliest end
            if start >= 0:
                found.append((start + len(stop.text), start, stop.text))
        if not found:
            return None
        _, start, text = min(found)
        return start, text

    def flush(self) -> str:
        """What is still held back, at the end of the answer."""
        held, self._held = self._held, ""
        return self._budget(held) if self.finish_reason is None else ""

    def _budget(self, text: str) -> str:
        if self.max_chars is None:
            return text
        room = self.max_chars - self._emitted
        if len(text) >= room:
            self.finish_reason = "length"
            text = text[: max(room, 0)]
        self._emitted += len(text)
        return text
