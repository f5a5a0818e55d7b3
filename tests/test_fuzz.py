"""Fuzzing the parts that read what a server sends: whatever arrives, the only exceptions are
the package's own typed errors — with orjson and with the standard json module.

Bounded (a few hundred examples each, no deadline) so CI stays fast; speed is measured in
benchmarks, never asserted here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from g4f import errors
from g4f.openai import BadRequest, CompletionRequest, StopLimiter
from g4f.protocol import Invocation, encode_record
from g4f.protocol.connection import NEED_DATA, Connection
from g4f.protocol.framing import RecordDecoder, load_json
from g4f.services.bing import TurnReader
from g4f.services.bing.dialect import parse_create

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


Loads = Callable[[str], Any]


@pytest.fixture(params=["orjson", "json"])
def loads(request: pytest.FixtureRequest) -> Loads:
    """Every reading test here runs with orjson (in the test extra) and with json: the
    parser given to the decoder, as a program without orjson gets it."""
    if request.param == "json":
        return json.loads
    import orjson  # in the test extra: never skipped

    return orjson.loads  # type: ignore[no-any-return]


# JSON-like values with the shapes a ChatHub record has, and the wrong types in their places.
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "target",
                    "arguments",
                    "messages",
                    "item",
                    "result",
                    "value",
                    "text",
                    "author",
                    "messageId",
                    "messageType",
                    "contentOrigin",
                    "throttling",
                    "invocationId",
                    "adaptiveCards",
                    "body",
                    "sourceAttributions",
                    "suggestedResponses",
                    "error",
                    "numUserMessagesInConversation",
                    "maxNumUserMessagesInConversation",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)
records = st.fixed_dictionaries(
    {"type": st.sampled_from([1, 2, 3, 6, 7, 99, "1", None])},
    optional={
        "target": st.sampled_from(["update", "x", 5]),
        "arguments": values,
        "item": values,
        "invocationId": values,
        "error": values,
    },
)


def started(loads: Loads) -> Connection:
    connection = Connection(reader=TurnReader, max_record=1 << 16, loads=loads)
    connection.initiate()
    connection.send(Invocation({"type": 4, "invocationId": "0"}))
    connection.receive_data("{}\x1e")
    return connection


def drain(connection: Connection) -> None:
    while connection.next_event() is not NEED_DATA:
        pass


@FUZZ
@given(pieces=st.lists(st.text(alphabet='{}[]":,1 \x1eabtype\\', max_size=40), max_size=12))
def test_the_decoder_raises_only_protocol_errors(loads: Loads, pieces: list[str]) -> None:
    decoder = RecordDecoder(max_record=64, loads=loads)
    for piece in pieces:
        try:
            for record in decoder.feed(piece):
                assert type(record) is dict
        except errors.ProtocolError:
            decoder = RecordDecoder(max_record=64, loads=loads)


@FUZZ
@given(turn=st.lists(records, min_size=1, max_size=6))
def test_a_turn_of_any_records_raises_only_typed_errors(
    loads: Loads, turn: list[dict[str, Any]]
) -> None:
    connection = started(loads)
    try:
        connection.receive_data("".join(encode_record(r) for r in turn))
        drain(connection)
    except errors.G4FError as exc:
        assert isinstance(exc.partial_text, str)


@FUZZ
@given(depth=st.integers(min_value=1, max_value=3000), opener=st.sampled_from(["[", '{"a":']))
def test_deep_nesting_anywhere_is_a_protocol_error_or_fine(
    loads: Loads, depth: int, opener: str
) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + closer * depth
    connection = started(loads)
    try:
        connection.receive_data('{"type":1,"target":"update","arguments":[' + nested + "]}\x1e")
        drain(connection)
    except errors.ProtocolError:
        pass
    with pytest.raises(errors.G4FError):
        parse_create(200, {}, '{"conversationId": ' + nested + "}")
    try:  # the create parser's JSON step, with this parser
        load_json('{"conversationId": ' + nested + "}", loads=loads)
    except ValueError as exc:
        assert type(exc) is ValueError  # neither RecursionError nor the parser's own class


@FUZZ
@given(
    status=st.sampled_from([200, 200, 200, 401, 403, 404, 429, 500, 302]),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "Retry-After",
                "Content-Type",
                "X-Sydney-Conversationsignature",
                "X-Sydney-Encryptedconversationsignature",
            ]
        ),
        st.text(max_size=12),
    ),
    body=st.one_of(st.text(max_size=60), values.map(json.dumps)),
)
def test_the_create_parser_raises_only_typed_errors(
    status: int, headers: dict[str, str], body: str
) -> None:
    # The default parser only: what differs with json is its JSON step (load_json), whose
    # one exception besides ValueError, RecursionError, the nesting test above reaches.
    try:
        conversation = parse_create(status, headers, body)
    except errors.G4FError as exc:
        assert exc.retry_after is None or 0 <= exc.retry_after <= errors.MAX_RETRY_AFTER
    else:
        assert conversation.conversation_id and conversation.client_id


def reference(text: str, stops: list[str]) -> tuple[str, str | None]:
    """What a stop-sequence limiter must produce, read one character at a time: the text before
    the first stop sequence to be complete (the longest of those complete at that point)."""
    for end in range(1, len(text) + 1):
        complete = [s for s in stops if s and text[:end].endswith(s)]
        if complete:
            return text[: end - max(map(len, complete))], "length"
    return text, None


@settings(max_examples=300, deadline=None)
@given(
    chunks=st.lists(st.text(alphabet="ab", max_size=6), max_size=10),
    stops=st.lists(st.text(alphabet="ab", min_size=1, max_size=4), max_size=4),
)
def test_the_stop_limiter_matches_a_plain_search(chunks: list[str], stops: list[str]) -> None:
    limiter = StopLimiter(stop=stops)
    shown = "".join(limiter.feed(chunk) for chunk in chunks) + limiter.flush()
    assert (shown, limiter.finish_reason) == reference("".join(chunks), stops)


def test_stop_sequences_are_capped_in_number_and_length() -> None:
    messages = [{"role": "user", "content": "Hi"}]
    with pytest.raises(BadRequest, match="At most 4 stop sequences"):
        CompletionRequest.build(messages, stop=["a", "b", "c", "d", "e"])
    with pytest.raises(BadRequest, match="at most 1000 characters"):
        CompletionRequest.build(messages, stop="x" * 450_000)
