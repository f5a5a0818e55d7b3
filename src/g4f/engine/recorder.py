"""Recording websocket messages to a cassette file (see :mod:`g4f.protocol.cassette`)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from ..protocol.cassette import CASSETTE_VERSION, CassetteEntry, cassette_line

__all__ = ["CassetteRecorder"]


class CassetteRecorder:
    """Collects the messages of a turn in memory and appends them to a JSONL file.

    Signatures and tokens given as ``secrets`` are replaced by ``<redacted>`` before anything is
    written; cookies travel in HTTP headers, which are never recorded. The file is written off the
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
            lines = [cassette_line(e, self._secrets) for e in entries]
            await asyncio.to_thread(self._append, lines)

    def _append(self, lines: list[str]) -> None:
        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", encoding="utf-8") as file:
            if new:
                file.write(f'{{"cassette": {CASSETTE_VERSION}}}\n')
            file.writelines(lines)
