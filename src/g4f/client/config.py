"""How long the client waits."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Timeouts", "host_of"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait; every network wait has one.

    Attributes:
        connect: to open a connection (create request or websocket).
        create: for the whole conversation-create request.
        read: between two websocket messages while a turn runs.
        ping_interval: how often to send a keep-alive ping while waiting for the answer.
        close: for the websocket's closing handshake.
    """

    connect: float = 15.0
    create: float = 30.0
    read: float = 60.0
    ping_interval: float = 15.0
    close: float = 5.0

    def __post_init__(self) -> None:
        for name in ("connect", "create", "read", "ping_interval", "close"):
            if getattr(self, name) <= 0:
                raise ValueError(f"timeout {name} must be positive")


def host_of(url: str) -> str:
    """The ``host:port`` of ``url``, never its user info, path or query (they may hold secrets)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
