"""Reading a token from a pipe (``--token-file <(…)``, ``… | g4f token``) within a deadline:
a pipe whose writer stays open without writing would otherwise block for ever."""

from __future__ import annotations

import os
import select
import time

__all__ = ["PIPE_SECONDS", "read_pipe"]

PIPE_SECONDS = 5.0
"""How long a pipe may take to give its token."""


def read_pipe(fd: int, limit: int, seconds: float = PIPE_SECONDS) -> bytes | None:
    """Up to ``limit`` bytes from the pipe ``fd``, until its end or ``seconds`` passed; ``None``
    when it gave nothing in that time (what it gave, if it gave something but did not close).
    The descriptor's own flags are not changed (it may be shared)."""
    deadline = time.monotonic() + seconds
    pieces: list[bytes] = []
    size = 0
    while size < limit:
        left = deadline - time.monotonic()
        ready = select.select([fd], [], [], left)[0] if left > 0 else []
        if not ready:
            return b"".join(pieces) if pieces else None
        piece = os.read(fd, limit - size)
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)
