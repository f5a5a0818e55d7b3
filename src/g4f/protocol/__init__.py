"""What every ChatHub dialect shares: framing, the sans-I/O connection, events, conversations,
cassettes and message folding. Pure — it never does I/O, and knows no service.

A dialect (Bing's 2023 ChatHub in :mod:`g4f.services.bing`, Microsoft 365 Copilot's in
:mod:`g4f.services.m365`) adds its invocation builder, its reader of a turn's records and its
constants.

Example::

    decoder = RecordDecoder()
    for record in decoder.feed(websocket_text):
        ...
"""

from .connection import Connection, State, TurnReader
from .constants import RECORD_SEPARATOR, RecordType, Style
from .conversation import Conversation
from .events import (
    Close,
    Completion,
    ErrorResult,
    Event,
    Final,
    Ping,
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
    ping_record,
)

__all__ = [
    "HANDSHAKE_REQUEST",
    "HANDSHAKE_RESPONSE",
    "RECORD_SEPARATOR",
    "Close",
    "Completion",
    "Connection",
    "Conversation",
    "ErrorResult",
    "Event",
    "Final",
    "Ping",
    "ReasoningProgress",
    "Record",
    "RecordDecoder",
    "RecordType",
    "Refusal",
    "Retraction",
    "SearchProgress",
    "Source",
    "Sources",
    "State",
    "Style",
    "SuggestedReplies",
    "TextDelta",
    "Throttling",
    "TurnLimit",
    "TurnReader",
    "decode_record",
    "encode_record",
    "encode_records",
    "parse_handshake_response",
    "ping_record",
]
