"""Reading a turn: server records in, typed events out."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest

from g4f.errors import ProtocolError
from g4f.protocol import (
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
from g4f.services.bing import TurnReader

from .common import bot, update


def final(*messages: dict[str, Any], value: str = "Success", **item: Any) -> dict[str, Any]:
    return {
        "type": 2,
        "invocationId": "0",
        "item": {
            "messages": [{"author": "user", "text": "the prompt", "messageId": "r"}, *messages],
            "result": {"value": value, "message": "msg"},
            **item,
        },
    }


def deltas(events: list[Any]) -> list[str]:
    return [e.text for e in events if isinstance(e, TextDelta)]


def test_cumulative_updates_become_deltas() -> None:
    reader = TurnReader()
    out = [reader.read(update(bot(t))) for t in ("Hello", "Hello, this", "Hello, this is Bing.")]
    assert out == [[TextDelta("Hello")], [TextDelta(", this")], [TextDelta(" is Bing.")]]
    assert reader.text == "Hello, this is Bing."


def test_repeated_substrings_give_exact_deltas() -> None:
    # The seed's resp_txt.replace(cache_text, '') removed every copy of the earlier text:
    # "abab".replace("ab", "") == "" lost the second "ab".
    reader = TurnReader()
    pieces = [deltas(reader.read(update(bot(t)))) for t in ("ab", "abab", "ababab", "ababab ab")]
    assert pieces == [["ab"], ["ab"], ["ab"], [" ab"]]
    assert reader.text == "ababab ab"


def test_an_update_that_repeats_the_text_yields_nothing() -> None:
    reader = TurnReader()
    reader.read(update(bot("Same")))
    assert reader.read(update(bot("Same"))) == []


def test_text_that_is_rewritten_waits_for_the_final_record() -> None:
    reader = TurnReader()
    reader.read(update(bot("Hello wrld")))
    assert reader.read(update(bot("Hello world"))) == []
    events = reader.read(final(bot("Hello world")))
    assert deltas(events) == []
    assert events[-1] == Final(text="Hello world")


def test_progress_messages_are_not_answer_text() -> None:
    reader = TurnReader()
    searching = {
        "author": "bot",
        "messageId": "q",
        "messageType": "InternalSearchQuery",
        "text": "weather",
        "adaptiveCards": [
            {
                "type": "AdaptiveCard",
                "body": [
                    {
                        "type": "RichTextBlock",
                        "inlines": [{"type": "TextRun", "text": "Searching for: weather"}],
                    }
                ],
            }
        ],
    }
    events = reader.read(update(searching))
    assert events == [SearchProgress("Searching for: weather", "InternalSearchQuery")]
    assert reader.read(update(searching)) == []  # the same line is reported once
    assert reader.text == ""


def test_a_new_bot_message_is_separated_from_the_previous_one() -> None:
    reader = TurnReader()
    reader.read(update(bot("Let me look.", "m1")))
    assert deltas(reader.read(update(bot("It is sunny.", "m2")))) == ["\n\nIt is sunny."]


def test_final_completes_text_the_updates_did_not_carry() -> None:
    reader = TurnReader()
    reader.read(update(bot("Hello")))
    events = reader.read(final(bot("Hello, this is Bing.")))
    assert events[0] == TextDelta(", this is Bing.")
    assert events[-1] == Final(text="Hello, this is Bing.")


def test_final_answer_is_chosen_by_author_not_index() -> None:
    reader = TurnReader()
    record = final(
        bot("The answer."), {"author": "bot", "messageType": "InternalSearchQuery", "text": "q"}
    )
    events = reader.read(record)
    assert events[-1].text == "The answer."  # type: ignore[union-attr]
    assert events[-1].text != "the prompt"  # type: ignore[union-attr]


def test_final_carries_sources_suggestions_and_throttling() -> None:
    reader = TurnReader()
    answer = bot(
        "Hello, this is Bing.",
        sourceAttributions=[
            {
                "providerDisplayName": "Example Domain",
                "seeMoreUrl": "https://example.com/",
                "searchQuery": "example",
            }
        ],
        suggestedResponses=[
            {"text": "Tell me more.", "author": "user", "messageType": "Suggestion"}
        ],
    )
    record = final(
        answer,
        conversationExpiryTime="2023-04-28T21:46:21.50Z",
        conversationId="c1",
        throttling={"maxNumUserMessagesInConversation": 30, "numUserMessagesInConversation": 1},
    )
    assert reader.read(record) == [
        TextDelta("Hello, this is Bing."),
        Sources((Source("Example Domain", "https://example.com/"),)),
        SuggestedReplies(("Tell me more.",)),
        Throttling(used=1, limit=30),
        Final("Hello, this is Bing.", conversation_id="c1", expiry_time="2023-04-28T21:46:21.50Z"),
    ]


def test_image_first_card_text_is_found_by_element_type() -> None:
    reader = TurnReader()
    message = bot("x")
    del message["text"]
    message["adaptiveCards"][0]["body"] = [
        {"type": "Image", "altText": "a cat"},
        {"type": "TextBlock", "text": "A cat."},
    ]
    assert reader.read(update(message)) == [TextDelta("A cat.")]


def test_apology_update_reports_a_retraction_and_stops_text() -> None:
    reader = TurnReader()
    reader.read(update(bot("Here is half")))
    apology = bot("Sorry! That's on me.", contentOrigin="Apology")
    assert reader.read(update(apology)) == [Retraction("Here is half", "Sorry! That's on me.")]
    assert reader.read(update(bot("Here is half and more"))) == []
    events = reader.read(final(apology))
    assert events == [Final("Sorry! That's on me.", retracted=True)]
    assert reader.text == "Here is half"


def test_turn_limit_is_reported_when_the_counter_reaches_the_limit() -> None:
    reader = TurnReader()
    record = final(
        bot("Last answer."),
        throttling={"maxNumUserMessagesInConversation": 5, "numUserMessagesInConversation": 5},
    )
    events = reader.read(record)
    assert TurnLimit(used=5, limit=5) in events
    assert events[-1] == Final("Last answer.")


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            {
                "value": "Throttled",
                "message": "Request is throttled.",
                "error": "Request is throttled.",
            },
            ErrorResult("Throttled", "Request is throttled.", "Request is throttled."),
        ),
        (
            {"value": "CaptchaChallenge", "message": "Solve it."},
            ErrorResult("CaptchaChallenge", "Solve it.", None),
        ),
    ],
)
def test_failed_final_becomes_an_error_result_without_messages(
    result: dict[str, Any], expected: ErrorResult
) -> None:
    record = {"type": 2, "invocationId": "0", "item": {"result": result}}
    assert TurnReader().read(record) == [expected]


def test_ping_close_and_completion_records() -> None:
    reader = TurnReader()
    assert reader.read({"type": 6}) == [Ping()]
    assert reader.read(
        {"type": 7, "error": "Connection closed with an error.", "allowReconnect": True}
    ) == [Close("Connection closed with an error.", True)]
    assert reader.read({"type": 3, "invocationId": "0"}) == [Completion("0", None)]


def test_unknown_record_types_and_targets_are_ignored() -> None:
    reader = TurnReader()
    assert reader.read({"type": 5, "invocationId": "0"}) == []
    assert reader.read({"type": 1, "target": "other", "arguments": []}) == []


@pytest.mark.parametrize(
    "record",
    [
        {"target": "update"},
        {"type": "1"},
        {"type": 1, "target": "update", "arguments": "nope"},
        {"type": 1, "target": "update", "arguments": [{"messages": {"text": "x"}}]},
        {
            "type": 1,
            "target": "update",
            "arguments": [{"messages": [{"author": "bot", "text": 5}]}],
        },
        {"type": 1, "target": "update", "arguments": [{"throttling": {"max": 1}}]},
        {"type": 2, "invocationId": "0"},
        {"type": 2, "item": {"messages": []}},
        {"type": 2, "item": {"result": {"value": "Success"}, "messages": "x"}},
    ],
)
def test_malformed_records_raise_protocol_error_naming_the_record(record: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as caught:
        TurnReader().read(record)
    assert "malformed record" in caught.value.message
    assert str(record.get("type", "")) in caught.value.message


# -- the public events ------------------------------------------------------------------------

PUBLIC_EVENTS = {
    TextDelta: "text_delta",
    SearchProgress: "search_progress",
    ReasoningProgress: "reasoning_progress",
    Sources: "sources",
    SuggestedReplies: "suggested_replies",
    Throttling: "throttling",
    TurnLimit: "turn_limit",
    Retraction: "retraction",
    Final: "final",
}


def test_the_event_union_is_exactly_what_a_turn_yields_with_its_json_names() -> None:
    assert {cls: cls.kind for cls in get_args(Event)} == PUBLIC_EVENTS
    internal = set(get_args(ReaderOutput)) - set(get_args(Event))
    assert internal == {Ping, Close, Completion, ErrorResult, Refusal}
    assert not any(hasattr(cls, "kind") for cls in internal)


def test_an_event_in_json_is_its_kind_then_its_fields() -> None:
    sources = Sources((Source("Example", "https://example.com/"),))
    assert json.dumps(event_to_json(sources), ensure_ascii=False) == (
        '{"type": "sources", "items": [{"title": "Example", "url": "https://example.com/"}]}'
    )
    assert event_to_json(Final("Hi", conversation_id="c")) == {
        "type": "final",
        "text": "Hi",
        "retracted": False,
        "conversation_id": "c",
        "expiry_time": None,
        "answer": None,
    }
    assert event_to_json(TurnLimit(used=None, limit=None)) == {
        "type": "turn_limit",
        "used": None,
        "limit": None,
    }
