"""What a side of the hub plays for a turn, step by step: the vocabulary both sides' scripts
share (a side adds its own steps, as Microsoft 365 Copilot's wait for a ``stop``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HOSTILE_SECONDS", "Abort", "CloseSocket", "Repeat", "Send"]

HOSTILE_SECONDS = 300.0
"""The longest a hostile scenario keeps a connection busy when its client does not leave."""


@dataclass(frozen=True, slots=True)
class Send:
    """Send this text as one websocket message."""

    text: str


@dataclass(frozen=True, slots=True)
class Repeat:
    """Send this text again and again, ``interval`` seconds apart, until the client leaves or
    ``seconds`` have passed (a hostile server that never finishes)."""

    text: str
    interval: float = 0.0
    seconds: float = HOSTILE_SECONDS


@dataclass(frozen=True, slots=True)
class Abort:
    """Drop the connection without a websocket close frame."""


@dataclass(frozen=True, slots=True)
class CloseSocket:
    """Close the websocket cleanly."""
