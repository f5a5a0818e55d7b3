"""The hub's network model and what the client does to need few round trips."""

from __future__ import annotations

import pytest

from g4f.client import BingClient
from g4f.hub import Hub, TurnRequest, echo_responder, running_hub
from g4f.hub.network import DelayLine
from g4f.protocol import Final

from .common import FakeClock


async def test_the_delay_line_keeps_order_and_overlaps_messages() -> None:
    time = FakeClock()
    line: DelayLine[str] = DelayLine(0.2, clock=time, sleep=time.sleep)
    for i in range(5):  # five messages sent 10 ms apart
        time.now = i * 0.01
        line.put(f"m{i}")
    time.now = 0.0
    arrivals = []
    for _ in range(5):
        arrivals.append((await line.get(), round(time.now, 6)))
    # Each arrives one delay after it was sent: overlapping, not one delay after the previous.
    assert arrivals == [("m0", 0.2), ("m1", 0.21), ("m2", 0.22), ("m3", 0.23), ("m4", 0.24)]


async def test_an_item_put_long_ago_is_available_at_once() -> None:
    time = FakeClock()
    line: DelayLine[int] = DelayLine(0.05, clock=time, sleep=time.sleep)
    line.put(1)
    time.now = 10.0
    assert await line.get() == 1 and time.now == 10.0


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError):
        DelayLine(-1)


@pytest.mark.parametrize("scenario", ["stream", "split", "search", "apology"])
async def test_turns_work_through_the_network_model(scenario: str) -> None:
    hub = Hub(latency=0.002, scenario=scenario)
    async with running_hub(hub) as url:
        async with BingClient(url=url) as client:
            conversation = await client.create_conversation()
            first = await client.ask_text("one", conversation=conversation)
            second = await client.ask_text("two", conversation=conversation)
        await hub.wait_closed()
    if scenario != "apology":
        assert first.endswith(echo_responder(TurnRequest("one")).text)
        assert "turn 2" in second
    assert hub.websockets_opened == 1


async def test_later_turns_reuse_the_conversations_websocket(hub: Hub, client: BingClient) -> None:
    conversation = await client.create_conversation()
    for prompt in ("one", "two", "three"):
        await client.ask_text(prompt, conversation=conversation)
    assert hub.websockets_opened == 1
    assert hub.open_websockets == 1  # kept open for the next turn until the client closes


async def test_a_websocket_closed_while_idle_is_reopened_transparently(
    hub: Hub, client: BingClient
) -> None:
    conversation = await client.create_conversation()
    await client.ask_text("one", conversation=conversation)
    await hub.close_websockets()
    assert "turn 2" in await client.ask_text("two", conversation=conversation)
    assert hub.websockets_opened == 2
    assert hub.conversations[conversation.conversation_id].invocation_ids == {"0", "1"}


async def test_a_cold_turn_opens_the_websocket_while_creating(hub: Hub, client: BingClient) -> None:
    hub.create_shape = "body"
    await client.ask_text("one")
    await client.ask_text("two")
    assert (hub.create_requests, hub.websockets_opened) == (2, 2)


async def test_when_a_token_is_needed_the_client_stops_guessing(
    hub: Hub, client: BingClient
) -> None:
    hub.create_shape = "headers"
    await client.ask_text("one")  # the early websocket lacked the token: one more was opened
    await client.ask_text("two")  # now it waits for the token before opening
    assert (hub.create_requests, hub.websockets_opened) == (2, 3)


async def test_idle_websockets_are_capped(hub: Hub, hub_url: str) -> None:
    async with BingClient(url=hub_url, max_idle_connections=2) as client:
        for _ in range(4):
            conversation = await client.create_conversation()
            await client.ask_text("hi", conversation=conversation)
        await hub.wait_closed(at_most=2)
        assert hub.open_websockets == 2


async def test_stopping_at_the_final_event_keeps_the_websocket(
    hub: Hub, client: BingClient
) -> None:
    conversation = await client.create_conversation()
    for prompt in ("one", "two"):
        stream = client.ask(prompt, conversation=conversation)
        async for event in stream:
            if isinstance(event, Final):
                break
        await stream.aclose()  # type: ignore[attr-defined]
    assert hub.websockets_opened == 1


async def test_two_turns_of_one_conversation_at_once_leave_no_websocket_behind(
    hub: Hub, hub_url: str
) -> None:
    import asyncio

    from g4f import errors

    async with BingClient(url=hub_url) as client:
        conversation = await client.create_conversation()
        results = await asyncio.gather(
            client.ask_text("one", conversation=conversation),
            client.ask_text("two", conversation=conversation),
            return_exceptions=True,
        )
        assert any(isinstance(r, str) for r in results)
        assert all(isinstance(r, str | errors.Busy | errors.ConversationInvalid) for r in results)
        await hub.wait_closed(at_most=1)  # one kept for the conversation; none leaked
        assert len(client._idle) == 1
    await hub.wait_closed()
