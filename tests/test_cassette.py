"""Cassettes: recording a session to JSONL and replaying it through the hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from g4f import errors
from g4f.client import BingClient
from g4f.hub import Hub, running_hub
from g4f.protocol import (
    Final,
    Retraction,
    SearchProgress,
    Source,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
)
from g4f.protocol.cassette import CassetteEntry, parse_cassette, recorded_source, recorded_turns

HAND_WRITTEN = Path(__file__).parent / "cassettes" / "chathub_two_turns.jsonl"
APOLOGY = (
    "Sorry! That's on me, I can't give a response to that right now. What else can I help you with?"
)


async def test_a_hand_written_cassette_replays_through_the_hub() -> None:
    hub = Hub.from_cassette(HAND_WRITTEN)
    async with running_hub(hub) as url:
        async with BingClient(url=url) as client:
            conversation = await client.create_conversation()
            first = [e async for e in client.ask("Hello", conversation=conversation)]
            second = [e async for e in client.ask("Say something risky", conversation=conversation)]
        await hub.wait_closed()
    assert hub.websockets_opened == 1  # both turns over one websocket
    assert first == [
        SearchProgress("Searching for: example", "InternalSearchQuery"),
        TextDelta("Hello, this is"),
        TextDelta(" Bing."),
        Sources((Source("Example Domain", "https://example.com/"),)),
        SuggestedReplies(("Tell me more.",)),
        Throttling(1, 30),
        Final(
            "Hello, this is Bing.",
            conversation_id="51D|BingProd|3F1C0D2E",
            expiry_time="2023-04-28T21:46:21.50Z",
        ),
    ]
    assert second == [
        TextDelta("Well, one could"),
        Retraction("Well, one could", APOLOGY),
        Throttling(2, 30),
        Final(APOLOGY, retracted=True, conversation_id="51D|BingProd|3F1C0D2E"),
    ]


async def test_a_cassette_without_the_turn_is_an_error() -> None:
    hub = Hub(cassette=[])
    async with running_hub(hub) as url:
        async with BingClient(url=url) as client:
            with pytest.raises(errors.ConversationInvalid, match="no turn 1"):
                await client.ask_text("Hello")
        await hub.wait_closed()


async def test_a_recorded_session_replays_to_the_same_events(
    hub: Hub, hub_url: str, tmp_path: Path
) -> None:
    cassette = tmp_path / "session.jsonl"
    hub.scenario = "search"
    async with BingClient(url=hub_url, record=cassette) as client:
        conversation = await client.create_conversation()
        live = [[e async for e in client.ask(p, conversation=conversation)] for p in ("one", "two")]

    replay_hub = Hub.from_cassette(cassette)
    async with running_hub(replay_hub) as url:
        async with BingClient(url=url) as client:
            conversation = await client.create_conversation()
            replayed = [
                [e async for e in client.ask(p, conversation=conversation)] for p in ("one", "two")
            ]
        await replay_hub.wait_closed()
    strip = lambda events: [e for e in events if not isinstance(e, Final)]  # noqa: E731
    assert [strip(t) for t in replayed] == [strip(t) for t in live]
    assert [t[-1].text for t in replayed] == [t[-1].text for t in live]  # type: ignore[union-attr]


@pytest.mark.parametrize("shape", ["body", "headers"])
async def test_recording_keeps_both_directions_with_timing_and_no_secrets(
    hub: Hub, hub_url: str, tmp_path: Path, shape: str
) -> None:
    hub.create_shape = shape
    cassette = tmp_path / "session.jsonl"
    async with BingClient(url=hub_url, record=cassette, cookies="_U=cookie-secret") as client:
        conversation = await client.create_conversation()
        await client.ask_text("Hi", conversation=conversation)
    text = cassette.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0] == {"cassette": 1}
    assert [line["dir"] for line in lines[1:3]] == ["send", "send"]
    assert {line["dir"] for line in lines[1:]} == {"send", "recv"}
    times = [line["t"] for line in lines[1:]]
    assert times == sorted(times)
    assert "cookie-secret" not in text
    assert conversation.signature and conversation.signature not in text
    if shape == "headers":
        assert conversation.encrypted_signature and conversation.encrypted_signature not in text
    assert len(recorded_turns(parse_cassette(text.splitlines()))) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"dir": "up", "text": "x"}', "needs 'dir'"),
        ('{"cassette": 9}', "version"),
        ('{"dir": "send", "text": "x", "t": "soon"}', "non-numeric"),
    ],
)
def test_a_broken_cassette_line_is_named(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cassette([line])


# -- Microsoft 365 Copilot ----------------------------------------------------------------------

M365_CASSETTE = Path(__file__).parent / "cassettes" / "m365_two_turns.jsonl"


async def test_an_m365_cassette_replays_through_the_hubs_m365_side() -> None:
    from g4f.client import M365Client
    from g4f.hub import make_test_token

    hub = Hub.from_cassette(M365_CASSETTE)
    assert hub.m365.scenario == "cassette"
    async with running_hub(hub) as url:
        async with M365Client(url=url, token=make_test_token()) as client:
            conversation = await client.start_conversation()
            first = [e async for e in client.ask("What is it?", conversation=conversation)]
            second = await client.ask_text("And type 6?", conversation=conversation)
        await hub.wait_closed()
    assert hub.websockets_opened == 2  # one websocket per turn
    streamed = "".join(e.text for e in first if isinstance(e, TextDelta))
    final = first[-1]
    assert isinstance(final, Final)
    assert streamed == (
        "SignalR is a library for real-time web messaging; its JSON hub protocol separates "
        "records with 0x1E."
    )
    assert "[^1^]" in final.text and "[^1^]" not in streamed  # the final text is authoritative
    assert SearchProgress("SignalR protocol", "InternalSearchQuery") in first
    (sources,) = [e for e in first if isinstance(e, Sources)]
    assert sources.items[0].title == "SignalR Hub Protocol"
    assert Throttling(1, 600) in first and final.expiry_time == "2026-09-13T09:12:03.0000000Z"
    assert second == "Records of type 6 are pings."


async def test_an_m365_session_records_without_its_token_and_replays(tmp_path: Path) -> None:
    from g4f.client import M365Client
    from g4f.hub import make_test_token

    token = make_test_token()
    cassette = tmp_path / "m365.jsonl"
    hub = Hub()
    hub.m365.scenario = "search"
    async with running_hub(hub) as url, M365Client(url=url, token=token, record=cassette) as client:
        conversation = await client.start_conversation()
        recorded = [await client.ask_text(p, conversation=conversation) for p in ("One", "Two")]
    text = cassette.read_text(encoding="utf-8")
    assert token not in text and token.split(".")[1] not in text
    replay = Hub.from_cassette(cassette)
    async with running_hub(replay) as url, M365Client(url=url, token=token) as client:
        conversation = await client.start_conversation()
        replayed = [await client.ask_text(p, conversation=conversation) for p in ("x", "y")]
    assert replayed == recorded


def test_the_recorded_source_is_the_first_invocations_own() -> None:
    def sent(*records: dict[str, object]) -> CassetteEntry:
        return CassetteEntry(0.0, "send", "".join(json.dumps(r) + "\x1e" for r in records))

    def invoke(argument: object) -> dict[str, object]:
        return {"type": 4, "target": "chat", "arguments": [argument]}

    handshake, ping = sent({"protocol": "json", "version": 1}), sent({"type": 6})
    answer = CassetteEntry(0.1, "recv", json.dumps(invoke({"source": "bing"})) + "\x1e")
    first, second = sent(invoke({"source": "officeweb"})), sent(invoke({"source": "cib"}))
    assert recorded_source([handshake, answer, ping, first, second]) == "officeweb"
    assert recorded_source([sent({"type": 6}, invoke({"source": "cib"}))]) == "cib"  # one message
    assert recorded_source([sent(invoke({"source": 7})), first]) is None  # the first says none
    assert recorded_source([handshake, answer, CassetteEntry(0.2, "send", "{not json")]) is None
