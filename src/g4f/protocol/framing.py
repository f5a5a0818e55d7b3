"""Record framing: SignalR's JSON hub protocol, one JSON object per record, each ended by ``\\x1e``.

Pure: no I/O. The client feeds websocket text to a :class:`RecordDecoder`; the hub uses the same
encoder and decoder from the other side.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ProtocolError, caused_by, truncate
from .constants import RECORD_SEPARATOR, RecordType

__all__ = [
    "HANDSHAKE_REQUEST",
    "HANDSHAKE_RESPONSE",
    "JSON_LOADS",
    "Record",
    "RecordDecoder",
    "decode_record",
    "encode_record",
    "encode_records",
    "load_json",
    "parse_handshake_response",
    "ping_record",
]

Record = dict[str, Any]

JSON_LOADS: Callable[[str], Any]
"""The JSON parser records are read with unless told otherwise: orjson's when it is installed
(several times faster; it is optional), else the standard ``json.loads``. Both raise a
``ValueError`` for text that is not JSON (``orjson.JSONDecodeError`` is one)."""
try:
    import orjson

    JSON_LOADS = orjson.loads
except ImportError:  # pragma: no cover - exercised only without orjson
    JSON_LOADS = json.loads


def ping_record() -> Record:
    """A keep-alive record (type 6)."""
    return {"type": int(RecordType.PING)}


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


def load_json(text: str, *, loads: Callable[[str], Any] = JSON_LOADS) -> Any:
    """Parse JSON with ``loads`` (the fastest parser installed by default); ``ValueError`` for
    anything that is not JSON this parser can read — a syntax error, or nesting too deep for it
    (``json`` would raise ``RecursionError``, ``orjson`` refuses past 1,024 levels).

    >>> load_json('{"type": 6}', loads=json.loads)
    {'type': 6}
    """
    try:
        return loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError as exc:  # json's and orjson's errors both are ValueErrors
        raise ValueError(str(exc)) from None


def decode_record(text: str, *, loads: Callable[[str], Any] = JSON_LOADS) -> Record:
    """Parse one record's JSON text (without separator) into a dict, or raise ProtocolError;
    ``loads`` as for :func:`load_json`."""
    failure: ProtocolError | None = None
    try:
        value = load_json(text, loads=loads)
    except ValueError as exc:
        failure = caused_by(ProtocolError(f"malformed record (not JSON): {truncate(text)!r}"), exc)
    if failure is not None:
        raise failure  # outside the except: the original is no __context__ of it
    if type(value) is not dict:
        raise ProtocolError(f"malformed record (not a JSON object): {truncate(text)!r}")
    return value


class RecordDecoder:
    """Turns websocket text into complete records.

    Feed it each text message; it returns the complete records in order, keeps a trailing partial
    record for the next feed, and skips empty pieces between separators. A partial record is kept
    as its pieces and joined once, when it ends, so a record split into many messages costs time
    linear in its size; one longer than ``max_record`` characters is a
    :class:`~g4f.errors.ProtocolError`. ``loads`` is the JSON parser (:data:`JSON_LOADS` by
    default; ``json.loads`` to read with the standard library even where orjson is installed).

    >>> decoder = RecordDecoder()
    >>> decoder.feed('{"type":6}\\x1e{"ty')
    [{'type': 6}]
    >>> decoder.feed('pe":3}\\x1e')
    [{'type': 3}]
    """

    __slots__ = ("_pieces", "_size", "loads", "max_record")

    def __init__(
        self, max_record: int | None = None, *, loads: Callable[[str], Any] = JSON_LOADS
    ) -> None:
        self._pieces: list[str] = []
        self._size = 0
        self.max_record = max_record
        self.loads = loads

    @property
    def pending(self) -> str:
        """Text of a record started but not yet ended by a separator."""
        return "".join(self._pieces)

    def feed(self, text: str) -> list[Record]:
        """Add ``text`` and return the records it completes."""
        end = text.find(RECORD_SEPARATOR)  # only the new text is scanned
        if end < 0:
            self._keep(text)
            return []
        if self._pieces:
            self._pieces.append(text)
            text = "".join(self._pieces)
            self._pieces.clear()
            self._size = 0
            end = text.find(RECORD_SEPARATOR)
        if end == len(text) - 1:  # the common case: exactly one whole record
            return [decode_record(text[:end], loads=self.loads)] if end else []
        pieces = text.split(RECORD_SEPARATOR)
        tail = pieces.pop()
        if tail:
            self._keep(tail)
        return [decode_record(piece, loads=self.loads) for piece in pieces if piece]

    def _keep(self, text: str) -> None:
        self._size += len(text)
        if self.max_record is not None and self._size > self.max_record:
            self._pieces.clear()
            self._size = 0
            raise ProtocolError(
                f"a record longer than {self.max_record} characters without its end"
            )
        self._pieces.append(text)


def parse_handshake_response(record: Record) -> None:
    """Check the server's handshake answer: ``{}`` is success, ``{"error": …}`` a refusal."""
    error = record.get("error")
    if error:
        raise ProtocolError(f"handshake refused by the server: {truncate(str(error))}")
    if "type" in record:
        raise ProtocolError(f"expected a handshake response, got {truncate(repr(record))}")
