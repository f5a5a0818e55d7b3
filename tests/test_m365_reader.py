"""Reading Microsoft 365 Copilot's records (M365-CHATHUB.md §5) through the protocol connection:
whichever mix of deltas and snapshots arrives, no text is shown twice or lost."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest

from g4f import errors
from g4f.openai import CompletionRequest, Part, complete
from g4f.protocol import (
    Event,
    Final,
    Invocation,
    ReasoningProgress,
    SearchProgress,
    TextDelta,
    Throttling,
    encode_records,
)
from g4f.protocol.connection import NEED_DATA, Connection
from g4f.services.m365.reader import M365TurnReader

ANSWER = "Paris is the capital of France."


def delta(piece: str) -> dict[str, Any]:
    return {"type": 1, "target": "update", "arguments": [{"writeAtCursor": piece, "nonce": "n"}]}


def snapshot(text: str, **extra: Any) -> dict[str, Any]:
    message = {
        "author": "bot",
        "messageId": "m1",
        "text": text,
        "contentOrigin": "DeepLeo",
        **extra,
    }
    return {"type": 1, "target": "update", "arguments": [{"messages": [message], "cursor": {}}]}


def final(text: str | None = ANSWER, *, echo_only: bool = False, **item: Any) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"author": "user", "text": "Capital of France?"}]
    if not echo_only and text is not None:
        messages.append({"author": "bot", "messageId": "m1", "text": text, "messageType": "Chat"})
    result = {"value": "Success", "message": text or ""}
    return {
        "type": 2,
        "invocationId": "0",
        "item": {"messages": messages, "result": result, **item},
    }


def run(*records: dict[str, Any]) -> list[Event]:
    connection = Connection(reader=M365TurnReader)
    connection.initiate()
    connection.send(Invocation({"type": 4, "invocationId": "0"}))
    connection.receive_data("{}\x1e" + encode_records(*records, {"type": 3, "invocationId": "0"}))
    events = []
    while (event := connection.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


PIECES = ["Paris ", "is the ", "capital ", "of France."]


@pytest.mark.parametrize(
    "records",
    [
        pytest.param([delta(p) for p in PIECES], id="deltas-only"),
        pytest.param([snapshot("Paris is"), snapshot(ANSWER)], id="snapshots-only"),
        pytest.param(
            [delta("Paris "), snapshot("Paris is"), delta(" the "), snapshot("Paris is the "),
             delta("capital of France."), snapshot(ANSWER), snapshot(ANSWER)],
            id="both",
        ),
        pytest.param([delta("Paris "), delta("is the capital of France.")], id="two-deltas"),
    ],
)  # fmt: skip
def test_every_mix_of_deltas_and_snapshots_streams_the_text_once(
    records: list[dict[str, Any]],
) -> None:
    events = run(*records, final(ANSWER, echo_only=True))
    assert text_of(events) == ANSWER
    assert events[-1] == Final(ANSWER, answer=ANSWER)


def test_the_final_record_is_authoritative_when_its_markup_differs() -> None:
    marked = "Paris is the capital of France [^1^]."
    events = run(*[delta(p) for p in PIECES], final(marked))
    assert text_of(events) == ANSWER  # what streamed is not streamed again
    assert isinstance(events[-1], Final) and events[-1].text == marked


def test_a_final_that_echoes_only_the_user_takes_the_answer_from_the_result() -> None:
    events = run(snapshot(ANSWER), final(ANSWER, echo_only=True))
    assert events[-1] == Final(ANSWER, answer=ANSWER)


def test_progress_and_reasoning_never_reach_the_answer() -> None:
    progress = {"author": "bot", "messageType": "InternalSearchQuery", "text": "Searching: France"}
    thinking = {
        "author": "bot",
        "messageType": "Progress",
        "contentOrigin": "ChainOfThoughtSummary",
        "text": "Recalling capitals",
    }
    update = {"type": 1, "target": "update", "arguments": [{"messages": [progress, thinking]}]}
    metrics = {"type": 1, "target": "Metrics", "arguments": [{"Timestamps": {}}]}
    patches = {"type": 1, "target": "update", "arguments": [{"patches": [{"path": "/x"}]}]}
    events = run(metrics, update, update, patches, *[delta(p) for p in PIECES], final())
    assert SearchProgress("Searching: France", "InternalSearchQuery") in events
    assert events.count(ReasoningProgress("Recalling capitals")) == 1
    assert text_of(events) == ANSWER


def test_disengaged_is_a_refusal_with_the_text_so_far() -> None:
    disengaged = {
        "author": "bot",
        "messageType": "Disengaged",
        "hiddenText": "> Conversation disengaged",
        "offense": "None",
    }
    refusal = {"type": 1, "target": "update", "arguments": [{"messages": [disengaged]}]}
    with pytest.raises(errors.Refused) as caught:
        run(delta("Let me "), refusal, final(None, echo_only=True))
    assert caught.value.partial_text == "Let me "
    assert not caught.value.transient and "retrying it unchanged will not help" in str(caught.value)


def test_an_empty_answer_with_throttling_is_a_rate_limit_not_a_success() -> None:
    counters = {"numUserMessagesInConversation": 7, "maxNumUserMessagesInConversation": 600}
    with pytest.raises(errors.RateLimited, match="wait some minutes"):
        run(final("", throttling=counters))
    events = run(*[delta(p) for p in PIECES], final(throttling=counters))
    assert Throttling(7, 600) in events and isinstance(events[-1], Final)


async def test_a_refusal_ends_an_openai_completion_as_content_filter() -> None:
    class Declining:
        async def ask(self, prompt: str, **kwargs: Any) -> AsyncGenerator[Event, None]:
            yield TextDelta("Let me ")
            raise errors.Refused("the service declined this prompt", partial_text="Let me ")

    request = CompletionRequest.build([{"role": "user", "content": "Hi"}])
    parts = [p async for p in complete(Declining(), request)]  # type: ignore[arg-type]
    assert parts == [Part("Let me "), Part(finish_reason="content_filter")]


def _delta_record(text: str) -> dict[str, object]:
    return {
        "type": 1,
        "target": "update",
        "arguments": [{"writeAtCursor": text, "messageId": "m"}],
    }


def test_a_rate_notice_is_never_streamed_as_an_answer() -> None:
    from g4f.services.m365.reader import could_be_rate_notice, is_rate_notice

    notice = "I'm sorry, I'm temporarily unable to respond to this many requests. Try later."
    assert is_rate_notice(notice) and could_be_rate_notice(notice[:12])
    assert not is_rate_notice("HTTP 429 means too many requests: the server asks you to wait.")


def test_an_answer_that_only_begins_like_the_notice_is_streamed_whole() -> None:
    reader = M365TurnReader()
    reader.begin({"arguments": [{"tone": "Magic"}]})
    texts = []
    for piece in ("I'm sorry, ", "I'm ", "not sure."):
        for event in reader.read(_delta_record(piece)):
            if isinstance(event, TextDelta):
                texts.append(event.text)
    assert texts == ["I'm sorry, I'm not sure."]
