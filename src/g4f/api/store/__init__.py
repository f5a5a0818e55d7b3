"""Where ``g4f api`` keeps conversations: ``sqlite:///PATH`` (the default, a file in the user's
data directory), ``redis://…`` (several workers or machines), ``memory://`` (one process, lost
on restart). :func:`open_store` picks one by URL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from .base import (
    ConversationStore,
    Lease,
    ResponseRecord,
    SignatureCipher,
    Stored,
    StoreError,
    StoreUnavailable,
)
from .leases import LEASE_SECONDS, Holding, LeasePolicy
from .memory import MemoryStore
from .redisstore import RedisStore
from .sqlite import SqliteStore

__all__ = [
    "ENV_STORE_KEY",
    "LEASE_SECONDS",
    "ConversationStore",
    "Holding",
    "Lease",
    "LeasePolicy",
    "MemoryStore",
    "RedisStore",
    "ResponseRecord",
    "SignatureCipher",
    "SqliteStore",
    "StoreError",
    "StoreUnavailable",
    "Stored",
    "default_store_url",
    "make_store",
]

ENV_STORE_KEY = "G4F_STORE_KEY"
"""Environment variable holding the key that encrypts stored signatures."""


def default_store_url() -> str:
    """``sqlite:///`` a file in the user's data directory: ``$XDG_DATA_HOME/g4f/`` (default
    ``~/.local/share/g4f/``) ``conversations.sqlite3``."""
    data = os.environ.get("XDG_DATA_HOME", "").strip() or "~/.local/share"
    return f"sqlite:///{Path(data).expanduser() / 'g4f' / 'conversations.sqlite3'}"


def make_store(
    url: str,
    *,
    ttl: float,
    cap: int,
    key: str | None = None,
    clock: Callable[[], float] | None = None,
) -> ConversationStore:
    """The store ``url`` names (not yet opened); ``ValueError`` for a URL of no known kind.

    ``sqlite:///PATH`` as SQLAlchemy spells it: ``sqlite:///relative.db``,
    ``sqlite:////absolute/path.db``, ``sqlite:///~/in/home.db``.

    >>> make_store("sqlite:////tmp/c.sqlite3", ttl=60, cap=10).describe()
    'sqlite:////tmp/c.sqlite3'
    """
    cipher = SignatureCipher(key)
    if url == "memory://" or url == "memory:":
        return MemoryStore(ttl, cap, clock=clock or time.monotonic, cipher=cipher)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise ValueError("sqlite:///PATH needs a file's path")
        return SqliteStore(path, ttl, cap, clock=clock or time.time, cipher=cipher)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url, ttl, cap, clock=clock or time.time, cipher=cipher)
    raise ValueError(
        f"unknown conversation store {url!r}: use sqlite:///PATH, redis://HOST:PORT/DB or memory://"
    )
