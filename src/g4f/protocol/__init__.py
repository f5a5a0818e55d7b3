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

from .connection import NEED_DATA, Connection, NeedData, State, TurnReader
from .constants import RECORD_SEPARATOR, RecordType, Style
from .conversation import Conversation
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
    ping_record,
)
from .sending import Invocation, KeepAlive, Outgoing, Stop

__all__ = [
    "HANDSHAKE_REQUEST",
    "HANDSHAKE_RESPONSE",
    "NEED_DATA",
    "RECORD_SEPARATOR",
    "Close",
    "Completion",
    "Connection",
    "Conversation",
    "ErrorResult",
    "Event",
    "Final",
    "Invocation",
    "KeepAlive",
    "NeedData",
    "Outgoing",
    "Ping",
    "ReaderOutput",
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
    "Stop",
    "Style",
    "SuggestedReplies",
    "TextDelta",
    "Throttling",
    "TurnLimit",
    "TurnReader",
    "decode_record",
    "encode_record",
    "encode_records",
    "event_to_json",
    "parse_handshake_response",
    "ping_record",
]
