"""Record framing: encoding, and a decoder fed websocket text."""

from __future__ import annotations

import pytest

from g4f.errors import ProtocolError
from g4f.protocol import (
    HANDSHAKE_REQUEST,
    HANDSHAKE_RESPONSE,
    RecordDecoder,
    encode_record,
    encode_records,
    parse_handshake_response,
)


def test_encode_record_is_compact_json_with_separator() -> None:
    assert encode_record({"type": 6}) == '{"type":6}\x1e'


def test_encode_record_keeps_non_ascii_text() -> None:
    assert encode_record({"text": "Привет"}) == '{"text":"Привет"}\x1e'


def test_handshake_records() -> None:
    assert HANDSHAKE_REQUEST == '{"protocol":"json","version":1}\x1e'
    assert HANDSHAKE_RESPONSE == "{}\x1e"


def test_decoder_returns_several_records_of_one_message_in_order() -> None:
    decoder = RecordDecoder()
    text = encode_records({"type": 1, "n": 1}, {"type": 2, "n": 2}, {"type": 3})
    assert decoder.feed(text) == [{"type": 1, "n": 1}, {"type": 2, "n": 2}, {"type": 3}]
    assert decoder.pending == ""


def test_decoder_keeps_a_split_record_until_its_end_arrives() -> None:
    decoder = RecordDecoder()
    text = encode_records({"type": 6}, {"type": 1, "text": "split here"})
    cut = text.index("split") + 3
    assert decoder.feed(text[:cut]) == [{"type": 6}]
    assert decoder.pending == text[len(encode_record({"type": 6})) : cut]
    assert decoder.feed(text[cut:]) == [{"type": 1, "text": "split here"}]


def test_decoder_survives_a_record_split_across_three_messages() -> None:
    decoder = RecordDecoder()
    assert decoder.feed('{"ty') == []
    assert decoder.feed('pe":') == []
    assert decoder.feed("3}\x1e") == [{"type": 3}]


def test_decoder_skips_empty_pieces() -> None:
    decoder = RecordDecoder()
    assert decoder.feed('\x1e\x1e{"type":6}\x1e\x1e') == [{"type": 6}]
    assert decoder.feed("") == []
    assert decoder.feed("\x1e") == []


def test_decoder_raises_protocol_error_naming_a_malformed_record() -> None:
    decoder = RecordDecoder()
    with pytest.raises(ProtocolError) as caught:
        decoder.feed('{"type": 1, "broken\x1e')
    assert "malformed record" in caught.value.message
    assert '{"type": 1, "broken' in caught.value.message


def test_decoder_truncates_a_long_malformed_record_in_the_error() -> None:
    with pytest.raises(ProtocolError) as caught:
        RecordDecoder().feed("x" * 5000 + "\x1e")
    assert len(caught.value.message) < 400
    assert "(5000 chars)" in caught.value.message


def test_decoder_rejects_json_that_is_not_an_object() -> None:
    with pytest.raises(ProtocolError, match="not a JSON object"):
        RecordDecoder().feed("[1, 2]\x1e")


def test_handshake_response_with_error_is_a_protocol_error() -> None:
    parse_handshake_response({})
    with pytest.raises(ProtocolError, match="handshake refused"):
        parse_handshake_response({"error": "Unsupported protocol"})
