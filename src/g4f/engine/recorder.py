"""Recording websocket messages to a cassette file (see :mod:`g4f.protocol.cassette`)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from ..protocol.cassette import CASSETTE_VERSION, CassetteEntry, cassette_line
from ..urls import Redactor

__all__ = ["CassetteRecorder"]


class CassetteRecorder:
    """Collects the messages of a turn in memory and appends them to a JSONL file.

    Every form of the signatures and tokens given as ``secrets`` (raw, percent-encoded, a JWT's
    parts alone) is replaced by ``<redacted>`` before anything is written; the file is created
    0600; cookies travel in HTTP headers, which are never recorded. The file is written off the
    event loop, once per turn.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._start: float | None = None
        self._entries: list[CassetteEntry] = []
        self._secrets: list[str] = []

    def __repr__(self) -> str:
        return f"CassetteRecorder(path={str(self.path)!r})"

    def add_secret(self, secret: str | None) -> None:
        """Never write ``secret`` to the file."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def record(self, direction: str, text: str) -> None:
        """Note one websocket message, ``"send"`` or ``"recv"``."""
        now = time.monotonic()
        if self._start is None:
            self._start = now
        self._entries.append(CassetteEntry(now - self._start, direction, text))

    async def flush(self) -> None:
        """Append what was recorded since the last flush to the file."""
        entries, self._entries = self._entries, []
        if entries:
            redact = Redactor(self._secrets, patterns=False)
            lines = [cassette_line(e, redact=redact) for e in entries]
            await asyncio.to_thread(self._append, lines)

    def _append(self, lines: list[str]) -> None:
        # Created 0600, like saved conversations: what a turn said is the user's own.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as file:
            if os.fstat(fd).st_size == 0:
                os.fchmod(fd, 0o600)  # an empty file someone made: ours now
                file.write(f'{{"cassette": {CASSETTE_VERSION}}}\n')
            file.writelines(lines)
