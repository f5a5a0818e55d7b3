"""Hostile servers and malformed input: every wait has a deadline, every buffer a bound, and
every failure is a typed error that keeps the partial text."""

from __future__ import annotations

import logging

import pytest

from g4f import errors
from g4f.client import NO_RETRY, BingClient, Limits, Timeouts
from g4f.hub import Hub, TurnRequest, echo_responder, running_hub
from g4f.hub.bing.scenarios import TurnPlan, script
from g4f.hub.growing import MAX_UPDATES
from g4f.protocol import Invocation, TextDelta, encode_record
from g4f.protocol.connection import NEED_DATA, Connection
from g4f.services.bing import TurnReader, parse_create

from .common import HALF, PROMPT, FakeClock


async def ask(client: BingClient, hub: Hub, scenario: str) -> None:
    hub.scenario = scenario
    await client.ask_text(PROMPT)


async def test_an_upgrade_that_is_never_answered_times_out(hub: Hub, hub_url: str) -> None:
    timeouts = Timeouts(connect=0.3)
    async with BingClient(url=hub_url, timeouts=timeouts, retry=NO_RETRY) as client:
        with pytest.raises(errors.ConnectTimeout, match=r"not opened within 0\.3s"):
            await ask(client, hub, "upgrade-hang")


async def test_a_server_trickling_records_about_nothing_hits_the_turn_deadline(
    hub: Hub, hub_url: str
) -> None:
    timeouts = Timeouts(read=30, turn=0.5)
    async with BingClient(url=hub_url, timeouts=timeouts) as client:
        with pytest.raises(errors.TurnTimeout, match=r"did not end within 0\.5s") as caught:
            await ask(client, hub, "trickle")
    assert caught.value.partial_text == HALF


@pytest.mark.parametrize("scenario", ["endless-record", "huge-message"])
async def test_a_record_or_message_past_the_cap_is_a_protocol_error(
    hub: Hub, hub_url: str, scenario: str
) -> None:
    limits, timeouts = Limits(max_message_bytes=1 << 20), Timeouts(close=0.2)
    async with BingClient(url=hub_url, limits=limits, timeouts=timeouts) as client:
        with pytest.raises(errors.ProtocolError, match=r"(larger|longer) than") as caught:
            await ask(client, hub, scenario)
    assert caught.value.partial_text == HALF
    assert "NoneType" not in caught.value.message


@pytest.mark.parametrize("scenario", ["create-huge", "create-endless"])
async def test_a_create_body_past_the_cap_is_a_protocol_error(
    hub: Hub, hub_url: str, scenario: str
) -> None:
    async with BingClient(url=hub_url, retry=NO_RETRY) as client:
        with pytest.raises(errors.ProtocolError, match="larger than 1048576 bytes"):
            await ask(client, hub, scenario)


async def test_a_read_timeout_after_data_does_not_say_nothing_arrived(
    hub: Hub, hub_url: str
) -> None:
    # The silence is what is tested; 1 s is long next to the gaps within the hub's burst.
    async with BingClient(url=hub_url, timeouts=Timeouts(read=1.0)) as client:
        with pytest.raises(errors.ResponseTimeout, match="nothing more") as caught:
            await ask(client, hub, "silence-mid")
    assert "after" in caught.value.message and caught.value.partial_text == HALF


async def test_a_socks_proxy_failure_is_typed_and_names_the_proxy_without_its_password(
    refused_address: str,
) -> None:
    proxy = f"socks5://user:s3cret@{refused_address}"
    async with BingClient(url="http://127.0.0.1:1", proxy=proxy, retry=NO_RETRY) as client:
        with pytest.raises(errors.ConnectError) as caught:
            await client.ask_text("hi")
    message = str(caught.value)
    assert "the proxy socks5://<redacted>@127.0.0.1" in message
    assert "s3cret" not in message and "127.0.0.1:1:" not in message


async def test_an_http_proxy_failure_names_the_proxy(refused_address: str) -> None:
    proxy = f"http://user:s3cret@{refused_address}"
    async with BingClient(url="http://127.0.0.1:1", proxy=proxy, retry=NO_RETRY) as client:
        with pytest.raises(errors.ConnectError, match=r"the proxy http://<redacted>@127\.0\.0\.1"):
            await client.ask_text("hi")


@pytest.mark.parametrize(
    ("header", "expected"), [("inf", None), ("nan", None), ("1e308", 3600.0), ("-5", 0.0)]
)
def test_upstream_retry_after_is_validated_and_clamped(header: str, expected: float | None) -> None:
    with pytest.raises(errors.RateLimited) as caught:
        parse_create(429, {"Retry-After": header}, "")
    assert caught.value.retry_after == expected


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_too_deep_is_a_protocol_error_in_the_create_parser() -> None:
    with pytest.raises(errors.ProtocolError):
        parse_create(200, {}, '{"a": ' + nested(100_000) + "}")


@pytest.mark.parametrize("depth", [990, 1023, 5000, 100_000])
def test_json_nested_too_deep_is_a_protocol_error_in_a_turn(depth: int) -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    connection.send(Invocation({"type": 4, "invocationId": "0"}))
    connection.receive_data("{}\x1e")
    record = '{"type":1,"target":"update","arguments":[{"messages":' + nested(depth) + "}]}"
    with pytest.raises(errors.ProtocolError):
        connection.receive_data(record + "\x1e")
        while connection.next_event() is not NEED_DATA:
            pass


def test_a_content_origin_that_is_not_a_string_is_no_type_error() -> None:
    connection = Connection(reader=TurnReader)
    connection.initiate()
    connection.send(Invocation({"type": 4, "invocationId": "0"}))
    update = {
        "type": 1,
        "target": "update",
        "arguments": [{"messages": [{"author": "bot", "text": "Hi", "contentOrigin": []}]}],
    }
    connection.receive_data("{}\x1e" + encode_record(update) * 2)
    first = connection.next_event()
    assert first == TextDelta("Hi")


def test_the_echo_answer_does_not_grow_with_the_prompt() -> None:
    prompt = " ".join(f"word{i}" for i in range(16_000))
    reply = echo_responder(TurnRequest(prompt))
    plan = TurnPlan("0", "r", "c", prompt, reply, 1, 30, "2030-01-01", "2030-01-01")
    sent = sum(len(step.text) for step in script("stream", plan) if hasattr(step, "text"))
    assert len(reply.text) < 400 and sent < 200_000


def test_a_long_answer_streams_in_a_bounded_number_of_updates() -> None:
    reply = echo_responder(TurnRequest("hi"))
    long = type(reply)(text=" ".join(f"w{i}" for i in range(5000)))
    plan = TurnPlan("0", "r", "c", "hi", long, 1, 30, "2030-01-01", "2030-01-01")
    steps = script("stream", plan)
    assert len(steps) <= MAX_UPDATES + 1


async def test_the_hub_forgets_expired_and_surplus_conversations() -> None:
    clock = FakeClock()
    hub = Hub(clock=clock, conversation_ttl=60, max_conversations=3)
    async with running_hub(hub) as url, BingClient(url=url) as client:
        for _ in range(5):
            await client.create_conversation()
        assert len(hub.conversations) == 3
        clock.advance(61)
        await client.create_conversation()
        assert len(hub.conversations) == 1


async def test_a_client_dropping_its_websocket_logs_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = Hub(create_shape="headers")  # the early websocket is opened, then dropped
    with caplog.at_level(logging.DEBUG):
        async with running_hub(hub) as url, BingClient(url=url) as client:
            for _ in range(3):
                await client.ask_text("hi")
            await hub.wait_closed()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_a_lone_surrogate_in_a_prompt_is_a_value_error(client: BingClient) -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        await client.ask_text("\ud800")
    with pytest.raises(ValueError, match="lone surrogate"):
        await client.ask_text("fine", context="[user](#message)\n\udfff\n\n")
