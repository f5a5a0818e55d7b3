"""The ChatHub protocol core: framing, invocations and events. Pure — it never does I/O.

Example::

    decoder, reader = RecordDecoder(), TurnReader()
    for record in decoder.feed(websocket_text):
        for event in reader.read(record):
            ...
"""

from .constants import RECORD_SEPARATOR, ContentOrigin, MessageType, RecordType, ResultValue, Style
from .events import (
    Close,
    Completion,
    ErrorResult,
    Event,
    Final,
    Ping,
    ReaderOutput,
    ReasoningProgress,
    Refusal,
    Retraction,
    SearchProgress,
    Source,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
    TurnLimit,
    event_to_json,
)
from .framing import (
    HANDSHAKE_REQUEST,
    HANDSHAKE_RESPONSE,
    Record,
    RecordDecoder,
    decode_record,
    encode_record,
    encode_records,
    parse_handshake_response,
)
from .invocation import Locale, build_invocation, option_sets_for, ping_record
from .reader import TurnReader
from .results import error_for_result
from .sending import Invocation, KeepAlive, Outgoing, Stop

__all__ = [
    "HANDSHAKE_REQUEST",
    "HANDSHAKE_RESPONSE",
    "RECORD_SEPARATOR",
    "Close",
    "Completion",
    "ContentOrigin",
    "ErrorResult",
    "Event",
    "Final",
    "Invocation",
    "KeepAlive",
    "Locale",
    "MessageType",
    "Outgoing",
    "Ping",
    "ReaderOutput",
    "ReasoningProgress",
    "Record",
    "RecordDecoder",
    "RecordType",
    "Refusal",
    "ResultValue",
    "Retraction",
    "SearchProgress",
    "Source",
    "Sources",
    "Stop",
    "Style",
    "SuggestedReplies",
    "TextDelta",
    "Throttling",
    "TurnLimit",
    "TurnReader",
    "build_invocation",
    "decode_record",
    "encode_record",
    "encode_records",
    "error_for_result",
    "event_to_json",
    "option_sets_for",
    "parse_handshake_response",
    "ping_record",
]
