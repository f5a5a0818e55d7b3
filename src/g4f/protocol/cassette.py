"""Cassettes: a session's raw websocket messages, both directions with timing, as JSONL.

One JSON object per line: a header ``{"cassette": 1}``, then ``{"t": seconds, "dir": "send" |
"recv", "text": raw message}`` per websocket message, exactly as sent or received (records and
their ``\\x1e`` separators included). Pure: reading and writing files is the caller's business.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError, truncate
from ..urls import Redactor
from .constants import RECORD_SEPARATOR, RecordType
from .framing import RecordDecoder

__all__ = [
    "CASSETTE_VERSION",
    "CassetteEntry",
    "cassette_line",
    "parse_cassette",
    "recorded_source",
    "recorded_turns",
]

CASSETTE_VERSION = 1
REDACTED = "<redacted>"
_HANDSHAKE_ANSWER = "{}" + RECORD_SEPARATOR


@dataclass(frozen=True, slots=True)
class CassetteEntry:
    """One websocket message of a recorded session."""

    t: float
    direction: str
    text: str


def cassette_line(entry: CassetteEntry, *, redact: Redactor | None = None) -> str:
    """The JSONL line for ``entry``, its text passed through ``redact`` (every form of the
    secrets it was made for replaced by a marker: :class:`~g4f.urls.Redactor`)."""
    text = redact(entry.text) if redact is not None else entry.text
    return (
        json.dumps(
            {"t": round(entry.t, 6), "dir": entry.direction, "text": text}, ensure_ascii=False
        )
        + "\n"
    )


def parse_cassette(lines: Iterable[str]) -> list[CassetteEntry]:
    """Read a cassette's lines; ``ValueError`` naming the line if one is not an entry."""
    entries: list[CassetteEntry] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            raise ValueError(
                f"cassette line {number} is not JSON: {truncate(line, 80)!r}"
            ) from None
        if not isinstance(data, dict):
            raise ValueError(f"cassette line {number} is not an object")
        if "cassette" in data:
            if data["cassette"] != CASSETTE_VERSION:
                raise ValueError(f"unsupported cassette version {data['cassette']!r}")
            continue
        direction, text, t = data.get("dir"), data.get("text"), data.get("t", 0.0)
        if direction not in ("send", "recv") or not isinstance(text, str):
            raise ValueError(f"cassette line {number} needs 'dir' (send/recv) and 'text'")
        if not isinstance(t, int | float):
            raise ValueError(f"cassette line {number} has a non-numeric 't'")
        entries.append(CassetteEntry(float(t), direction, text))
    return entries


def _invocations(text: str) -> list[dict[str, Any]]:
    decoder = RecordDecoder()
    try:
        records = decoder.feed(text if text.endswith(RECORD_SEPARATOR) else text + RECORD_SEPARATOR)
    except ProtocolError:
        return []
    return [r for r in records if r.get("type") == RecordType.STREAM_INVOCATION]


def _is_invocation(text: str) -> bool:
    return bool(_invocations(text))


def recorded_source(entries: Sequence[CassetteEntry]) -> str | None:
    """The ``source`` the first argument of a cassette's first invocation names (``None`` if
    it names none, or nothing was invoked)."""
    for entry in entries:
        for record in _invocations(entry.text) if entry.direction == "send" else ():
            arguments = record.get("arguments")
            first = arguments[0] if isinstance(arguments, list) and arguments else None
            source = first.get("source") if isinstance(first, dict) else None
            return source if isinstance(source, str) else None
    return None


def recorded_turns(entries: Sequence[CassetteEntry]) -> list[list[str]]:
    """The server's messages of each turn: what was received after each invocation was sent.

    The handshake answer (received before any invocation) is not part of a turn.
    """
    turns: list[list[str]] = []
    for entry in entries:
        if entry.direction == "send" and _is_invocation(entry.text):
            turns.append([])
        elif entry.direction == "recv" and turns:
            text = entry.text
            if not turns[-1] and text.startswith(_HANDSHAKE_ANSWER):
                text = text[len(_HANDSHAKE_ANSWER) :]  # it may arrive after the invocation left
            if text:
                turns[-1].append(text)
    return turns
