"""Record framing: SignalR's JSON hub protocol, one JSON object per record, each ended by ``\\x1e``.

Pure: no I/O. The client feeds websocket text to a :class:`RecordDecoder`; the hub uses the same
encoder and decoder from the other side.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ProtocolError, truncate
from .constants import RECORD_SEPARATOR

__all__ = [
    "HANDSHAKE_REQUEST",
    "HANDSHAKE_RESPONSE",
    "Record",
    "RecordDecoder",
    "decode_record",
    "encode_record",
    "encode_records",
    "parse_handshake_response",
]

Record = dict[str, Any]

_loads: Callable[[str], Any]
try:  # orjson parses several times faster; it is optional.
    import orjson

    _loads = orjson.loads
    _JSON_ERRORS: tuple[type[Exception], ...] = (orjson.JSONDecodeError,)
except ImportError:  # pragma: no cover - exercised only without orjson
    _loads = json.loads
    _JSON_ERRORS = (ValueError,)


def encode_record(record: Mapping[str, Any]) -> str:
    """Encode one record: compact JSON (UTF-8 kept as is) plus the record separator.

    >>> encode_record({"type": 6})
    '{"type":6}\\x1e'
    """
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + RECORD_SEPARATOR


def encode_records(*records: Mapping[str, Any]) -> str:
    """Encode several records into one websocket message, as the service packed them."""
    return "".join(encode_record(r) for r in records)


HANDSHAKE_REQUEST = encode_record({"protocol": "json", "version": 1})
"""What a client sends first on a new ChatHub websocket."""

HANDSHAKE_RESPONSE = encode_record({})
"""What a server answers to a good handshake."""


def decode_record(text: str) -> Record:
    """Parse one record's JSON text (without separator) into a dict, or raise ProtocolError."""
    try:
        value = _loads(text)
    except _JSON_ERRORS:
        raise ProtocolError(f"malformed record (not JSON): {truncate(text)!r}") from None
    if type(value) is not dict:
        raise ProtocolError(f"malformed record (not a JSON object): {truncate(text)!r}")
    return value


class RecordDecoder:
    """Turns websocket text into complete records.

    Feed it each text message; it returns the complete records in order, keeps a trailing partial
    record for the next feed, and skips empty pieces between separators.

    >>> decoder = RecordDecoder()
    >>> decoder.feed('{"type":6}\\x1e{"ty')
    [{'type': 6}]
    >>> decoder.feed('pe":3}\\x1e')
    [{'type': 3}]
    """

    __slots__ = ("_tail",)

    def __init__(self) -> None:
        self._tail = ""

    @property
    def pending(self) -> str:
        """Text of a record started but not yet ended by a separator."""
        return self._tail

    def feed(self, text: str) -> list[Record]:
        """Add ``text`` and return the records it completes."""
        if self._tail:
            text = self._tail + text
            self._tail = ""
        end = text.find(RECORD_SEPARATOR)
        if end < 0:
            self._tail = text
            return []
        if end == len(text) - 1:  # the common case: exactly one whole record
            return [decode_record(text[:end])] if end else []
        pieces = text.split(RECORD_SEPARATOR)
        self._tail = pieces.pop()
        return [decode_record(piece) for piece in pieces if piece]


def parse_handshake_response(record: Record) -> None:
    """Check the server's handshake answer: ``{}`` is success, ``{"error": …}`` a refusal."""
    error = record.get("error")
    if error:
        raise ProtocolError(f"handshake refused by the server: {truncate(str(error))}")
    if "type" in record:
        raise ProtocolError(f"expected a handshake response, got {truncate(repr(record))}")
