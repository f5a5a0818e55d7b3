"""What every ChatHub dialect shares: SignalR's record separator and types, the hub's
targets, and the names of the official conversation styles (see CHATHUB.md, M365-CHATHUB.md).

A dialect's own values (Bing's option sets, message types, result values, paths and headers)
live in its service folder (:mod:`g4f.services.bing.constants`).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["CHAT_TARGET", "RECORD_SEPARATOR", "UPDATE_TARGET", "RecordType", "Style"]

RECORD_SEPARATOR = "\x1e"


class RecordType(IntEnum):
    """SignalR record types used by ChatHub."""

    INVOCATION = 1
    STREAM_ITEM = 2
    COMPLETION = 3
    STREAM_INVOCATION = 4
    CANCEL_INVOCATION = 5
    PING = 6
    CLOSE = 7


CHAT_TARGET = "chat"
"""The target of a turn's invocation."""
UPDATE_TARGET = "update"
"""The target of the server's answer updates."""


class Style(StrEnum):
    """The three official conversation styles ("tones")."""

    CREATIVE = "creative"
    BALANCED = "balanced"
    PRECISE = "precise"

    @classmethod
    def parse(cls, name: str | Style) -> Style:
        """Return the style named ``name`` (case-insensitive), or raise ``ValueError``."""
        if isinstance(name, Style):
            return name
        try:
            return cls(name.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown style {name!r}; choose one of: {choices}") from None
