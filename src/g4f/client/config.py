"""Where the client connects and how long it waits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

__all__ = ["ENV_URL", "Endpoints", "Timeouts", "host_of"]

ENV_URL = "G4F_BING_URL"
"""Environment variable naming another server that serves both ChatHub paths."""

CREATE_PATH = "/turing/conversation/create"
CHATHUB_PATH = "/sydney/ChatHub"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The two URLs a conversation needs: HTTPS create, and the ChatHub websocket."""

    create_url: str = "https://www.bing.com" + CREATE_PATH
    chathub_url: str = "wss://sydney.bing.com" + CHATHUB_PATH

    @classmethod
    def from_base(cls, base: str) -> Endpoints:
        """Both paths under one server, e.g. ``http://127.0.0.1:8765`` (the local hub).

        >>> Endpoints.from_base("http://127.0.0.1:8765").chathub_url
        'ws://127.0.0.1:8765/sydney/ChatHub'
        """
        parts = urlsplit(base.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an http:// or https:// base URL, got {base!r}")
        path = parts.path.rstrip("/")
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        return cls(
            create_url=urlunsplit((parts.scheme, parts.netloc, path + CREATE_PATH, "", "")),
            chathub_url=urlunsplit((ws_scheme, parts.netloc, path + CHATHUB_PATH, "", "")),
        )

    @classmethod
    def resolve(cls, url: str | None = None) -> Endpoints:
        """``url`` if given, else ``$G4F_BING_URL`` if set, else Bing's own hosts.

        Read at call time, never at import time, so a change of the variable takes effect.
        """
        base = url or os.environ.get(ENV_URL, "").strip()
        return cls.from_base(base) if base else cls()


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
