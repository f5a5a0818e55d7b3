"""The sans-I/O ChatHub connection: websocket text in, events and text to send out, no socket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from g4f import errors
from g4f.protocol import Final, Ping, TextDelta, encode_record, encode_records
from g4f.protocol.connection import Connection, State
from g4f.services.bing import TurnReader

from .common import RESULT_ERRORS, bot, update

INVOCATION: dict[str, Any] = {"type": 4, "target": "chat", "invocationId": "0", "arguments": [{}]}


def invocation(turn: int) -> dict[str, Any]:
    return {**INVOCATION, "invocationId": str(turn)}


def final(text: str, invocation_id: str = "0", value: str = "Success") -> dict[str, Any]:
    return {
        "type": 2,
        "invocationId": invocation_id,
        "item": {
            "messages": [{"author": "user", "text": "Hi"}, bot(text)],
            "result": {"value": value, "message": "the server's words"},
        },
    }


def completion(invocation_id: str = "0", **extra: Any) -> dict[str, Any]:
    return {"type": 3, "invocationId": invocation_id, **extra}


def started(turn: int = 0) -> Connection:
    """A connection whose handshake was sent and answered, with a turn started."""
    connection = Connection(reader=TurnReader)
    connection.initiate()
    connection.send_invocation(invocation(turn))
    connection.receive_data("{}\x1e")
    return connection


def drain(connection: Connection) -> list[Any]:
    events = []
    while (event := connection.next_event()) is not None:
        events.append(event)
    return events


# -- the handshake ----------------------------------------------------------------------------


def test_the_handshake_is_the_first_text_and_is_sent_once() -> None:
    connection = Connection(reader=TurnReader)
    assert connection.initiate() == '{"protocol":"json","version":1}\x1e'
    with pytest.raises(RuntimeError, match="already sent"):
        connection.initiate()


def test_an_invocation_needs_the_handshake_first() -> None:
    with pytest.raises(RuntimeError, match="handshake"):
        Connection(reader=TurnReader).send_invocation(INVOCATION)


def test_the_invocation_need_not_wait_for_the_handshake_answer() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    text = connection.send_invocation(INVOCATION)
    assert json.loads(text.rstrip("\x1e")) == INVOCATION
    assert connection.state is State.TURN and not connection.handshaken
    connection.receive_data("{}\x1e")
    assert connection.next_event() is None and connection.handshaken


def test_extra_records_travel_in_the_invocations_message() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    metrics = {"type": 1, "target": "Metrics", "arguments": [{}]}
    assert connection.send_invocation(INVOCATION, metrics) == encode_records(INVOCATION, metrics)


def test_a_refused_handshake_is_a_protocol_error_and_closes() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    connection.send_invocation(INVOCATION)
    connection.receive_data('{"error":"Unsupported protocol"}\x1e')
    with pytest.raises(errors.ProtocolError, match="handshake refused"):
        connection.next_event()
    assert connection.state is State.CLOSED


# -- turns --------------------------------------------------------------------------------------


def test_a_turn_streams_deltas_and_ends_idle_at_the_final_record() -> None:
    connection = started()
    connection.receive_data(encode_record(update(bot("Hel"))))
    connection.receive_data(encode_records(update(bot("Hello")), final("Hello"), completion()))
    events = drain(connection)
    assert events[:2] == [TextDelta("Hel"), TextDelta("lo")]
    assert isinstance(events[-1], Final) and events[-1].text == "Hello"
    assert connection.state is State.IDLE
    assert connection.text == "Hello"


def test_a_second_turn_cannot_start_while_one_runs() -> None:
    connection = started()
    with pytest.raises(RuntimeError, match="state turn"):
        connection.send_invocation(invocation(1))


def test_records_of_an_earlier_turn_are_ignored() -> None:
    connection = started()
    connection.receive_data(encode_record(final("one")))
    drain(connection)
    connection.send_invocation(invocation(1))
    # The first turn's completion arrives late, inside the second turn.
    connection.receive_data(encode_records(completion("0"), update(bot("two"))))
    assert drain(connection) == [TextDelta("two")]
    assert connection.state is State.TURN


def test_a_ping_is_an_event_and_no_progress() -> None:
    connection = started()
    connection.receive_data('{"type":6}\x1e')
    assert drain(connection) == [Ping()]
    assert (connection.turn_records, connection.progress) == (1, 0)
    connection.receive_data(encode_record(update(bot("a"))))
    drain(connection)
    assert (connection.turn_records, connection.progress) == (2, 1)
    assert Connection.ping() == '{"type":6}\x1e'


def test_a_close_after_the_final_record_ends_the_connection_quietly() -> None:
    connection = started()
    connection.receive_data(encode_records(final("done"), completion(), {"type": 7}))
    assert isinstance(drain(connection)[-1], Final)
    assert connection.state is State.CLOSED


# -- failures, each with the partial text -------------------------------------------------------


def failing(*records: dict[str, Any]) -> pytest.ExceptionInfo[errors.G4FError]:
    connection = started()
    connection.receive_data(encode_record(update(bot("partial"))))
    connection.receive_data(encode_records(*records))
    with pytest.raises(errors.G4FError) as caught:
        drain(connection)
    assert connection.state is State.CLOSED
    assert connection.next_event() is None  # a closed connection yields nothing more
    return caught


def test_a_type_7_close_is_connection_closed_with_the_servers_reason() -> None:
    caught = failing({"type": 7, "error": "Connection closed with an error."})
    assert type(caught.value) is errors.ConnectionClosed
    assert "Connection closed with an error." in caught.value.message
    assert caught.value.partial_text == "partial"


@pytest.mark.parametrize(
    ("value", "error"),
    RESULT_ERRORS,
)
def test_a_failed_result_is_its_typed_error(value: str, error: type[errors.G4FError]) -> None:
    caught = failing(final("", value=value))
    assert type(caught.value) is error
    assert caught.value.message == f"{value}: the server's words"
    assert caught.value.partial_text == "partial"


def test_a_completion_without_a_final_record_is_a_refusal() -> None:
    caught = failing(completion(error="Failed to invoke 'Chat'"))
    assert type(caught.value) is errors.RequestRefused
    assert caught.value.message == "Failed to invoke 'Chat'"
    assert caught.value.partial_text == "partial"
    bare = failing(completion())
    assert bare.value.message == "the invocation completed without a final record"


def test_a_malformed_record_is_a_protocol_error_with_the_partial_text() -> None:
    connection = started()
    connection.receive_data(encode_record(update(bot("partial"))))
    drain(connection)
    with pytest.raises(errors.ProtocolError) as caught:
        connection.receive_data('{"type": 1, "arguments": [\x1e')
    assert caught.value.partial_text == "partial"
    assert connection.state is State.CLOSED


def test_a_lost_connection_before_any_answer_is_safe_to_resend() -> None:
    connection = started()
    error = connection.connection_lost("the websocket closed")
    assert type(error) is errors.ConnectError and error.resend_safe
    assert connection.state is State.CLOSED


def test_a_lost_connection_mid_answer_keeps_the_partial_text() -> None:
    connection = started()
    connection.receive_data(encode_record(update(bot("partial"))))
    drain(connection)
    error = connection.connection_lost("the websocket closed")
    assert type(error) is errors.ConnectionClosed and not error.resend_safe
    assert error.partial_text == "partial"


def test_a_transport_failure_gets_the_partial_text() -> None:
    connection = started()
    connection.receive_data(encode_record(update(bot("partial"))))
    drain(connection)
    error = connection.fail(errors.ResponseTimeout("nothing for 60s"))
    assert error.partial_text == "partial" and connection.state is State.CLOSED
    connection.receive_data(encode_record(update(bot("partial, more"))))
    assert connection.next_event() is None  # what a dead connection receives changes nothing
