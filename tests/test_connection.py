"""The sans-I/O ChatHub connection: websocket text in, events and text to send out, no socket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from g4f import errors
from g4f.protocol import (
    Final,
    Invocation,
    KeepAlive,
    Ping,
    Stop,
    TextDelta,
    encode_record,
    encode_records,
)
from g4f.protocol.connection import NEED_DATA, Connection, NeedData, State
from g4f.services.bing import TurnReader

from .common import RESULT_ERRORS, bot, update

INVOCATION: dict[str, Any] = {"type": 4, "target": "chat", "invocationId": "0", "arguments": [{}]}
STOP: dict[str, Any] = {"type": 1, "target": "stop", "invocationId": "1", "arguments": [{}]}


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
    connection.send(Invocation(invocation(turn)))
    connection.receive_data("{}\x1e")
    return connection


def drain(connection: Connection) -> list[Any]:
    events = []
    while (event := connection.next_event()) is not NEED_DATA:
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
        Connection(reader=TurnReader).send(Invocation(INVOCATION))


def test_the_invocation_need_not_wait_for_the_handshake_answer() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    text = connection.send(Invocation(INVOCATION))
    assert json.loads(text.rstrip("\x1e")) == INVOCATION
    assert connection.state is State.TURN and not connection.handshaken
    connection.receive_data("{}\x1e")
    assert connection.next_event() is NEED_DATA and connection.handshaken


def test_extra_records_travel_in_the_invocations_message() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    metrics = {"type": 1, "target": "Metrics", "arguments": [{}]}
    sent = connection.send(Invocation.of([INVOCATION, metrics]))
    assert sent == encode_records(INVOCATION, metrics)


def test_a_refused_handshake_is_a_protocol_error_and_closes() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    connection.send(Invocation(INVOCATION))
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
        connection.send(Invocation(invocation(1)))


def test_records_of_an_earlier_turn_are_ignored() -> None:
    connection = started()
    connection.receive_data(encode_record(final("one")))
    drain(connection)
    connection.send(Invocation(invocation(1)))
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
    assert connection.send(KeepAlive()) == '{"type":6}\x1e'


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
    assert connection.next_event() is NEED_DATA  # a closed connection yields nothing more
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
    assert connection.next_event() is NEED_DATA  # what a dead connection receives changes nothing


# -- typed sending ------------------------------------------------------------------------------


def test_nothing_is_sent_before_the_handshake() -> None:
    for message in (Invocation(INVOCATION), Stop(STOP), KeepAlive()):
        with pytest.raises(RuntimeError, match="handshake"):
            Connection(reader=TurnReader).send(message)


def test_an_invocation_needs_its_record() -> None:
    with pytest.raises(ValueError, match="invocation record"):
        Invocation.of([])


def test_a_stop_needs_a_turn() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    with pytest.raises(RuntimeError, match=r"no turn to stop .* state idle"):
        connection.send(Stop(STOP))
    assert connection.state is State.IDLE


# -- NEED_DATA ----------------------------------------------------------------------------------


def test_need_data_is_a_value_of_its_own_type() -> None:
    connection = started()
    event = connection.next_event()
    assert event is NEED_DATA and isinstance(event, NeedData)
    assert not isinstance(event, Ping | TextDelta | Final)
    assert repr(NEED_DATA) == "NEED_DATA" and list(NeedData) == [NEED_DATA]
    match event:
        case NeedData():
            pass
        case _:
            pytest.fail("NEED_DATA did not match its own type")


# -- stopping an abandoned turn -----------------------------------------------------------------


def stopping() -> Connection:
    """A connection whose turn streamed some text and was abandoned with a stop."""
    connection = started()
    connection.receive_data(encode_records(update(bot("partial")), update(bot("partial, more"))))
    assert connection.next_event() == TextDelta("partial")  # the caller leaves here
    assert connection.abandon(STOP) == encode_record(STOP)
    assert connection.state is State.STOPPING and not connection.close_expected()
    return connection


def test_a_stopped_answer_is_not_shown_until_its_acknowledgement_closes() -> None:
    connection = stopping()
    # What was read before the stop and what the answer still sends are swallowed, pings too.
    connection.receive_data(encode_records(update(bot("partial, more, and more")), {"type": 6}))
    assert connection.next_event() is NEED_DATA and connection.state is State.STOPPING
    connection.receive_data(encode_record(completion("0")))  # the acknowledgement (§4)
    assert connection.next_event() is NEED_DATA
    assert connection.state is State.CLOSED and connection.close_expected()


@pytest.mark.parametrize(
    "ending",
    [
        completion("1"),  # the stop's own completion
        final("Partial."),  # the answer ended before the stop arrived
        final("", value="Throttled"),  # a failed result ends the stop too, and is no error
        completion("0", error="stopped"),
        {"type": 7, "error": "bye"},
    ],
)
def test_whatever_ends_the_stopped_turn_acknowledges_the_stop(ending: dict[str, Any]) -> None:
    connection = stopping()
    connection.receive_data(encode_records(ending, update(bot("ignored"))))
    assert connection.next_event() is NEED_DATA
    assert connection.close_expected()


def test_an_earlier_turns_completion_is_no_acknowledgement() -> None:
    connection = started()
    connection.receive_data(encode_record(final("one")))
    drain(connection)
    connection.send(Invocation(invocation(2)))
    assert connection.abandon(STOP) is not None
    connection.receive_data(encode_record(completion("0")))
    assert connection.next_event() is NEED_DATA and connection.state is State.STOPPING


def test_a_malformed_text_while_stopping_still_raises_and_closes() -> None:
    connection = stopping()
    with pytest.raises(errors.ProtocolError):
        connection.receive_data('{"type": 1, "arguments": [\x1e')
    assert connection.close_expected()


def test_abandoning_without_a_stop_record_closes_at_once() -> None:
    connection = started()
    connection.receive_data(encode_record(update(bot("partial"))))
    assert connection.abandon(None) is None
    assert connection.close_expected() and connection.next_event() is NEED_DATA


@pytest.mark.parametrize("how", ["after its final record", "after it failed", "twice"])
def test_a_turn_that_is_not_streaming_is_not_stopped(how: str) -> None:
    connection = started()
    if how == "after its final record":
        connection.receive_data(encode_record(final("done")))
        drain(connection)
    elif how == "after it failed":
        connection.receive_data(encode_record({"type": 7}))
        with pytest.raises(errors.ConnectionClosed):
            drain(connection)
    else:
        assert connection.abandon(STOP) is not None
    assert connection.abandon(STOP) is None
    expected = State.STOPPING if how == "twice" else State.CLOSED
    assert connection.state is expected
