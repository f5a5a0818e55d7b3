"""The async client against the local hub: whole turns, both signature paths, failures."""

from __future__ import annotations

import asyncio
import re

import pytest

from g4f.client import NO_RETRY, BingClient, Timeouts
from g4f.errors import ConnectError, ProtocolError, ResponseTimeout
from g4f.hub import Hub, echo_responder, running_hub
from g4f.hub.responder import TurnRequest
from g4f.protocol import Final, Style, TextDelta


def expected(prompt: str, **kwargs: object) -> str:
    return echo_responder(TurnRequest(prompt, **kwargs)).text  # type: ignore[arg-type]


async def test_a_turn_streams_deltas_that_join_to_the_final_answer(client: BingClient) -> None:
    events = [e async for e in client.ask("What is ChatHub?")]
    pieces = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(pieces) > 3
    assert "".join(pieces) == expected("What is ChatHub?")
    assert isinstance(events[-1], Final)
    assert events[-1].text == expected("What is ChatHub?")


async def test_context_reaches_the_server(client: BingClient) -> None:
    context = "[user](#message)\nHi\n\n[assistant](#message)\nHello!\n\n"
    text = await client.ask_text("How are you?", context=context)
    assert text == expected("How are you?", context=context)
    assert "I see 2 earlier message(s)" in text


async def test_style_is_sent_as_the_tone(client: BingClient) -> None:
    text = await client.ask_text("Hi", style="creative")
    assert "Style: Creative" in text


@pytest.mark.parametrize(
    ("shape", "method"),
    [
        ("body", "conversationSignature"),
        ("headers", "sec_access_token"),
        ("both", "conversationSignature"),
    ],
)
async def test_signature_travels_the_way_the_create_shape_asks(
    hub: Hub, client: BingClient, shape: str, method: str
) -> None:
    hub.create_shape = shape
    conversation = await client.create_conversation()
    await client.ask_text("Hi", conversation=conversation)
    assert hub.conversations[conversation.conversation_id].auth_methods == [method]


async def test_a_conversation_counts_its_turns(hub: Hub, client: BingClient) -> None:
    conversation = await client.create_conversation()
    await client.ask_text("one", conversation=conversation)
    second = await client.ask_text("two", conversation=conversation)
    assert conversation.turn == 2
    assert hub.conversations[conversation.conversation_id].turns == 2
    assert "you last said: «one»" in second


async def test_a_record_split_across_messages_is_decoded(hub: Hub, client: BingClient) -> None:
    hub.scenario = "split"
    assert await client.ask_text("split me please") == expected("split me please")


async def test_a_silent_server_times_out_without_hanging(hub: Hub, hub_url: str) -> None:
    hub.scenario = "silence"
    timeouts = Timeouts(read=0.3, ping_interval=0.1)
    async with BingClient(url=hub_url, timeouts=timeouts) as client:
        with pytest.raises(ResponseTimeout) as caught:
            await client.ask_text("anyone there?")
    assert caught.value.partial_text == ""


async def test_a_server_silent_mid_answer_keeps_the_partial_text(hub: Hub, hub_url: str) -> None:
    hub.scenario = "silence-mid"
    # Short, as the silence is what is tested; long next to the gaps within the hub's burst,
    # so the partial text has arrived before it ends, even on a busy machine.
    timeouts = Timeouts(read=1.0, ping_interval=0.1)
    async with BingClient(url=hub_url, timeouts=timeouts) as client:
        with pytest.raises(ResponseTimeout) as caught:
            await client.ask_text("Tell me a long story")
    full = expected("Tell me a long story")
    assert caught.value.partial_text
    assert full.startswith(caught.value.partial_text)


async def test_a_malformed_record_is_a_protocol_error_with_partial_text(
    hub: Hub, client: BingClient
) -> None:
    hub.scenario = "malformed"
    with pytest.raises(ProtocolError) as caught:
        await client.ask_text("break it")
    assert "malformed record" in caught.value.message
    assert expected("break it").startswith(caught.value.partial_text)
    assert caught.value.partial_text


async def test_an_unreachable_server_is_a_connection_error(refused_address: str) -> None:
    async with BingClient(url=f"http://{refused_address}", retry=NO_RETRY) as client:
        with pytest.raises(ConnectError, match=re.escape(refused_address)) as caught:
            await client.create_conversation()
    assert caught.value.resend_safe  # it never reached a service


async def test_cancelling_a_turn_closes_its_websocket() -> None:
    reached = asyncio.Event()

    def responder(request: TurnRequest) -> str:
        reached.set()  # the invocation arrived: the websocket is open and the turn running
        return "never sent"

    hub = Hub(responder=responder, scenario="silence")
    async with running_hub(hub) as url, BingClient(url=url) as client:
        task = asyncio.create_task(client.ask_text("wait forever"))
        await reached.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await hub.wait_closed()
    assert (hub.websockets_opened, hub.open_websockets) == (1, 0)


async def test_breaking_out_of_a_stream_closes_the_websocket(hub: Hub, hub_url: str) -> None:
    async with BingClient(url=hub_url) as client:
        stream = client.ask("a question with a rather long answer")
        async for event in stream:
            assert isinstance(event, TextDelta)
            break
        await stream.aclose()  # type: ignore[attr-defined]
    await hub.wait_closed()
    assert hub.websockets_opened == 1


async def test_an_empty_prompt_is_refused_before_any_request(hub: Hub, client: BingClient) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        await client.ask_text("   ")
    assert hub.conversations == {}


def test_client_repr_redacts_cookies() -> None:
    client = BingClient(url="http://127.0.0.1:1", cookies="_U=very-secret-cookie")
    assert "very-secret-cookie" not in repr(client)
    assert "<redacted>" in repr(client)


def test_style_enum_is_accepted_by_name(client: BingClient) -> None:
    assert Style.parse("precise") is Style.PRECISE
