"""The fault matrix: every hub scenario through the client, with the exact outcome.

For each scenario: the exact event sequence (runs of text deltas shown as one "TextDelta*") or
the exception class, the partial text kept, and — through the ``hub_url`` fixture — that no
websocket, task or session is left open.
"""

from __future__ import annotations

from typing import Any

import pytest

from g4f import errors
from g4f.client import BingClient, Timeouts
from g4f.hub import Hub
from g4f.hub.bing.spec import APOLOGY_TEXT, TURN_LIMIT_TEXT
from g4f.protocol import (
    Event,
    Final,
    Retraction,
    SearchProgress,
    Source,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
    TurnLimit,
)

from .common import ANSWER, HALF, PROMPT, RESULT_ERRORS

SUGGESTIONS = SuggestedReplies(("Tell me more.", "Say it again."))


def shape(events: list[Event]) -> list[Any]:
    """Events with each run of text deltas folded into the marker "TextDelta*"."""
    out: list[Any] = []
    for event in events:
        if isinstance(event, TextDelta):
            if out[-1:] != ["TextDelta*"]:
                out.append("TextDelta*")
        else:
            out.append(event)
    return out


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def run_turn(hub: Hub, client: BingClient, scenario: str) -> list[Event]:
    hub.scenario = scenario
    return [event async for event in client.ask(PROMPT)]


@pytest.mark.parametrize("scenario", ["stream", "split", "ping-storm", "image-first"])
async def test_plain_answers(hub: Hub, client: BingClient, scenario: str) -> None:
    events = await run_turn(hub, client, scenario)
    assert shape(events) == [
        "TextDelta*",
        SUGGESTIONS,
        Throttling(1, 30),
        Final(ANSWER, **final_extras(events)),
    ]
    assert text_of(events) == ANSWER


def final_extras(events: list[Event]) -> dict[str, Any]:
    final = events[-1]
    assert isinstance(final, Final)
    assert final.conversation_id and final.expiry_time
    return {"conversation_id": final.conversation_id, "expiry_time": final.expiry_time}


async def test_search_step_with_several_bot_messages_sources_and_suggestions(
    hub: Hub, client: BingClient
) -> None:
    events = await run_turn(hub, client, "search")
    assert shape(events) == [
        "TextDelta*",
        SearchProgress(f"Searching for: {PROMPT}", "InternalSearchQuery"),
        SearchProgress("Generating answers for you…", "InternalLoaderMessage"),
        "TextDelta*",
        Sources(
            (
                Source("Example Domain", "https://example.com/"),
                Source("Example Org", "https://example.org/"),
            )
        ),
        SUGGESTIONS,
        Throttling(1, 30),
        Final(ANSWER, **final_extras(events)),
    ]
    assert text_of(events) == "Let me look that up.\n\n" + ANSWER


async def test_apology_is_a_retraction_never_restored(hub: Hub, client: BingClient) -> None:
    events = await run_turn(hub, client, "apology")
    assert shape(events) == [
        "TextDelta*",
        Retraction(retracted_text=HALF, apology=APOLOGY_TEXT),
        Throttling(1, 30),
        Final(APOLOGY_TEXT, retracted=True, **final_extras(events)),
    ]
    assert text_of(events) == HALF


async def test_turn_limiter_message_is_delivered_with_a_turn_limit(
    hub: Hub, client: BingClient
) -> None:
    events = await run_turn(hub, client, "turn-limiter")
    assert shape(events) == [
        "TextDelta*",
        Throttling(1, 30),
        TurnLimit(1, 30),
        Final(TURN_LIMIT_TEXT, **final_extras(events)),
    ]


async def test_the_last_allowed_turn_is_delivered_then_the_conversation_is_full(
    hub: Hub, client: BingClient
) -> None:
    hub.max_turns = 2
    conversation = await client.create_conversation()
    await client.ask_text("one", conversation=conversation)
    events = [e async for e in client.ask("two", conversation=conversation)]
    assert events[-3:-1] == [Throttling(2, 2), TurnLimit(2, 2)]
    assert isinstance(events[-1], Final) and "two" in events[-1].text
    with pytest.raises(errors.ConversationInvalid, match="already exists"):
        await client.ask_text("three", conversation=conversation)


@pytest.mark.parametrize(
    ("value", "error"),
    RESULT_ERRORS,
)
@pytest.mark.parametrize("flags", ["", ":noerror", ":nomessages", ":noerror:nomessages"])
async def test_every_failed_result_is_its_typed_error_with_partial_text(
    hub: Hub, client: BingClient, value: str, error: type[errors.ServiceError], flags: str
) -> None:
    with pytest.raises(error) as caught:
        await run_turn(hub, client, f"fail:{value}{flags}")
    assert type(caught.value) is error
    assert caught.value.result_value == value
    assert caught.value.message == f"{value}: The hub's {value} scenario."
    assert caught.value.partial_text == HALF


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("close", errors.ConnectionClosed),
        ("abrupt", errors.ConnectionClosed),
        ("malformed", errors.ProtocolError),
    ],
)
async def test_broken_turns_raise_and_keep_the_partial_text(
    hub: Hub, client: BingClient, scenario: str, error: type[errors.G4FError]
) -> None:
    # No deadline is involved: the client's read timeout (30 s) is far from being reached, so
    # a busy machine cannot turn these into timeouts.
    with pytest.raises(error) as caught:
        await run_turn(hub, client, scenario)
    assert type(caught.value) is error
    assert caught.value.partial_text == HALF


@pytest.mark.parametrize(("scenario", "partial"), [("silence", ""), ("silence-mid", HALF)])
async def test_a_silent_server_is_a_timeout_with_the_partial_text(
    hub: Hub, hub_url: str, scenario: str, partial: str
) -> None:
    # The hub sends what it sends at once, then nothing: only the silence is timed, and the
    # deadline is long next to the gaps within the burst, even on a busy machine (with no
    # burst, nothing races it).
    read = 1.0 if partial else 0.5
    async with BingClient(url=hub_url, timeouts=Timeouts(read=read, ping_interval=0.2)) as client:
        with pytest.raises(errors.ResponseTimeout) as caught:
            await run_turn(hub, client, scenario)
    assert type(caught.value) is errors.ResponseTimeout
    assert caught.value.partial_text == partial


async def test_type_7_close_names_the_servers_reason(hub: Hub, client: BingClient) -> None:
    with pytest.raises(errors.ConnectionClosed, match="Connection closed with an error"):
        await run_turn(hub, client, "close")


async def test_the_client_answers_a_ping_storm_without_echoing_it(
    hub: Hub, client: BingClient
) -> None:
    events = await run_turn(hub, client, "ping-storm")
    assert text_of(events) == ANSWER
    sent_by_hub = 5 * len(events)  # the hub sends 5 pings before each of its messages
    assert 1 <= hub.pings_received < sent_by_hub


async def test_the_client_sends_keep_alive_pings_while_waiting(hub: Hub, hub_url: str) -> None:
    hub.scenario = "silence"
    async with BingClient(url=hub_url, timeouts=Timeouts(read=1.0, ping_interval=0.05)) as client:
        with pytest.raises(errors.ResponseTimeout):
            await client.ask_text("anyone?")
    assert hub.pings_received >= 1
