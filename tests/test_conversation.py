"""Server-side conversations: several turns, saved to JSON and resumed elsewhere."""

from __future__ import annotations

import json

import pytest

from g4f.client import BingClient, Conversation
from g4f.hub import Hub
from g4f.protocol import Style


async def test_three_turns_reach_the_same_conversation(hub: Hub, client: BingClient) -> None:
    conversation = await client.create_conversation(style="balanced")
    answers = [await client.ask_text(p, conversation=conversation) for p in ("one", "two", "three")]
    state = hub.conversations[conversation.conversation_id]
    assert [prompt for prompt, _ in state.history] == ["one", "two", "three"]
    assert state.invocation_ids == {"0", "1", "2"}
    assert conversation.turn == 3
    assert "turn 3" in answers[2] and "you last said: «two»" in answers[2]
    assert "Style: Balanced" in answers[0]


async def test_a_saved_conversation_continues_in_a_fresh_client(
    hub: Hub, hub_url: str, client: BingClient
) -> None:
    conversation = await client.create_conversation()
    await client.ask_text("remember me", conversation=conversation)
    saved = json.dumps(conversation.to_dict())

    async with BingClient(url=hub_url) as fresh:
        resumed = Conversation.from_dict(json.loads(saved))
        answer = await fresh.ask_text("do you?", conversation=resumed)
    assert "you last said: «remember me»" in answer
    assert resumed.turn == 2
    assert hub.conversations[conversation.conversation_id].turns == 2


def test_a_conversation_round_trips_through_a_dict() -> None:
    conversation = Conversation(
        "c",
        "u",
        signature="s",
        encrypted_signature="e",
        style=Style.CREATIVE,
        turn=4,
        expiry_time="2030-01-01T00:00:00Z",
    )
    assert Conversation.from_dict(conversation.to_dict()) == conversation


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"conversation_id": "c"},
        {"conversation_id": 1, "client_id": "u"},
        {"conversation_id": "c", "client_id": "u", "turn": -1},
        {"conversation_id": "c", "client_id": "u", "style": "jailbreak"},
    ],
)
def test_a_broken_saved_conversation_is_a_value_error(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Conversation.from_dict(data)


async def test_a_later_turn_is_not_a_start_of_session(hub: Hub, client: BingClient) -> None:
    conversation = await client.create_conversation()
    await client.ask_text("one", conversation=conversation)
    await client.ask_text("two", conversation=conversation)
    assert [a["isStartOfSession"] for a in hub.bing.invocations] == [True, False]
