"""Hardening II (issue 21): a hostile upstream, a failing disk and a new user's inputs.

Each test fails on the code before the issue's fix; none depends on timing.
"""

from __future__ import annotations

from typing import Any

from g4f.protocol import TextDelta
from g4f.services.m365.reader import M365TurnReader


class _Counted(str):
    """A delta that counts the characters copied by every concatenation it takes part in (a
    ``str`` subclass's reflected ``__radd__`` runs before ``str.__add__``)."""

    copied: list[int]

    def __radd__(self, other: str) -> str:
        self.copied[0] += len(other) + len(self)
        return str.__add__(other, str(self))

    def __add__(self, other: str) -> str:
        self.copied[0] += len(self) + len(other)
        return str.__add__(str(self), other)


def _pieces(count: int, copied: list[int]) -> list[_Counted]:
    pieces = []
    for _ in range(count):
        piece = _Counted("abcdefgh")
        piece.copied = copied
        pieces.append(piece)
    return pieces


def test_m365_deltas_are_assembled_without_copying_the_answer_per_delta() -> None:
    copied = [0]
    reader = M365TurnReader()
    pieces = _pieces(20_000, copied)
    events: list[Any] = []
    for piece in pieces:
        record = {"type": 1, "target": "update", "arguments": [{"writeAtCursor": piece}]}
        events.extend(reader.read(record))
    size = 8 * len(pieces)
    assert len(events) == len(pieces) and all(isinstance(e, TextDelta) for e in events)
    assert reader.text == "abcdefgh" * len(pieces)
    # Linear: each character copied a bounded number of times (quadratic would be ~10_000×).
    assert copied[0] <= 2 * size
    # A snapshot after the deltas still adds only what extends them.
    snapshot = {"author": "bot", "messageType": "Chat", "messageId": "m", "text": reader.text + "!"}
    update = {"type": 1, "target": "update", "arguments": [{"messages": [snapshot]}]}
    assert reader.read(update) == [TextDelta("!")]
