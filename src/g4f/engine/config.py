"""How long the client waits."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "Timeouts"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait; every network wait has one.

    Attributes:
        create: for the whole conversation-create request.
        connect: to open a connection and have the websocket upgrade answered.
        read: between two records about the turn while it runs (pings do not count).
        turn: for a whole turn, from the invocation to the final record, however busy the
            server looks.
        ping_interval: how often to send a keep-alive ping while waiting for the answer.
        close: for the websocket's closing handshake.
        stop: for the acknowledgement of a ``stop`` sent to end an answer early (services
            that have one), before the websocket is closed anyway.
    """

    connect: float = 15.0
    create: float = 30.0
    read: float = 60.0
    turn: float = 600.0
    ping_interval: float = 15.0
    close: float = 5.0
    stop: float = 2.0

    def __post_init__(self) -> None:
        for name in ("connect", "create", "read", "turn", "ping_interval", "close", "stop"):
            value = getattr(self, name)
            if not value > 0 or value == float("inf"):
                raise ValueError(f"Timeouts({name}=…) must be a positive number of seconds")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much the client accepts from a server; past a limit the turn fails with
    :class:`~g4f.errors.ProtocolError` instead of growing without bound.

    Attributes:
        max_create_bytes: the largest conversation-create response body.
        max_message_bytes: the largest websocket message, and so the largest record.
    """

    max_create_bytes: int = 1 << 20
    max_message_bytes: int = 4 << 20

    def __post_init__(self) -> None:
        for name in ("max_create_bytes", "max_message_bytes"):
            if getattr(self, name) < 1024:
                raise ValueError(f"Limits({name}=…) must be at least 1024 bytes")
