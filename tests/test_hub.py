"""The local hub speaks ChatHub as CHATHUB.md describes it, checked with a raw websocket."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from g4f.hub import Hub, TurnRequest, running_hub
from g4f.protocol import RecordDecoder, encode_record

from .common import FakeClock

Records = list[dict[str, Any]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def create(session: aiohttp.ClientSession, url: str) -> tuple[dict[str, Any], Any]:
    async with session.get(url + "/turing/conversation/create?bundleVersion=1.1809.0") as r:
        assert r.status == 200
        return await r.json(), r.headers


def invocation(
    body: dict[str, Any], text: str = "Hi", invocation_id: str = "0", **extra: Any
) -> dict[str, Any]:
    argument = {
        "conversationId": body["conversationId"],
        "participant": {"id": body["clientId"]},
        "conversationSignature": body["conversationSignature"],
        "message": {"text": text},
        **extra,
    }
    return {"type": 4, "target": "chat", "invocationId": invocation_id, "arguments": [argument]}


async def read_turn(ws: aiohttp.ClientWebSocketResponse) -> tuple[list[str], Records]:
    """Raw websocket messages and their records, up to and including the type-3 record."""
    decoder, messages, records = RecordDecoder(), [], []
    while not records or records[-1].get("type") != 3:
        message = await ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        messages.append(message.data)
        records.extend(decoder.feed(message.data))
    return messages, records


async def open_chathub(
    session: aiohttp.ClientSession, url: str, query: str = ""
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(url + "/sydney/ChatHub" + query)
    await ws.send_str('{"protocol":"json","version":1}\x1e')
    assert (await ws.receive(timeout=5)).data == "{}\x1e"
    return ws


async def test_create_returns_ids_body_signature_and_both_headers(
    session: aiohttp.ClientSession, hub_url: str
) -> None:
    body, headers = await create(session, hub_url)
    assert set(body) == {"conversationId", "clientId", "conversationSignature", "result"}
    assert body["result"] == {"value": "Success", "message": None}
    assert headers["X-Sydney-Conversationsignature"] == body["conversationSignature"]
    assert headers["X-Sydney-Encryptedconversationsignature"]


async def test_a_turn_streams_cumulative_card_updates_then_final_and_completion(
    session: aiohttp.ClientSession, hub_url: str
) -> None:
    body, _ = await create(session, hub_url)
    async with await open_chathub(session, hub_url) as ws:
        await ws.send_str(encode_record(invocation(body, "Tell me something")))
        messages, records = await read_turn(ws)
    updates = [r for r in records if r["type"] == 1]
    texts = [u["arguments"][0]["messages"][0]["text"] for u in updates]
    assert all(b.startswith(a) and len(b) > len(a) for a, b in itertools.pairwise(texts))
    message = updates[-1]["arguments"][0]["messages"][0]
    assert message["author"] == "bot" and message["contentOrigin"] == "DeepLeo"
    assert message["adaptiveCards"][0]["body"][0] == {
        "type": "TextBlock",
        "text": texts[-1],
        "wrap": True,
    }
    final = records[-2]
    assert final["type"] == 2 and final["invocationId"] == "0"
    item = final["item"]
    assert [m["author"] for m in item["messages"]] == ["user", "bot"]
    assert item["messages"][0]["text"] == "Tell me something"
    assert item["messages"][1]["text"] == texts[-1]
    assert item["throttling"] == {
        "maxNumUserMessagesInConversation": 30,
        "numUserMessagesInConversation": 1,
    }
    assert item["result"]["value"] == "Success"
    assert records[-1] == {"type": 3, "invocationId": "0"}
    assert messages[-1].count("\x1e") == 2  # final and completion packed in one message
    assert any(m.count("\x1e") == 2 for m in messages[:-1])  # some updates packed two to one


async def test_ping_is_answered(session: aiohttp.ClientSession, hub_url: str) -> None:
    async with await open_chathub(session, hub_url) as ws:
        await ws.send_str('{"type":6}\x1e')
        assert (await ws.receive(timeout=5)).data == '{"type":6}\x1e'


async def test_a_bad_handshake_is_refused(session: aiohttp.ClientSession, hub_url: str) -> None:
    async with session.ws_connect(hub_url + "/sydney/ChatHub") as ws:
        await ws.send_str('{"protocol":"messagepack","version":1}\x1e')
        assert json.loads((await ws.receive(timeout=5)).data.rstrip("\x1e")) == {
            "error": "Unsupported handshake."
        }
        assert (await ws.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE


@pytest.mark.parametrize(
    ("mutate", "value"),
    [
        (lambda a: a.pop("conversationId"), "InvalidRequest"),
        (lambda a: a.pop("participant"), "InvalidRequest"),
        (lambda a: a["message"].pop("text"), "InvalidRequest"),
        (lambda a: a.pop("conversationSignature"), "UnauthorizedRequest"),
        (lambda a: a.update(conversationSignature="forged"), "UnauthorizedRequest"),
        (lambda a: a.update(conversationId="51D|BingProd|unknown"), "InvalidSession"),
    ],
)
async def test_a_bad_invocation_gets_a_failed_final_and_the_connection_survives(
    session: aiohttp.ClientSession, hub_url: str, mutate: Any, value: str
) -> None:
    body, _ = await create(session, hub_url)
    bad = invocation(body)
    mutate(bad["arguments"][0])
    async with await open_chathub(session, hub_url) as ws:
        await ws.send_str(encode_record(bad))
        _, records = await read_turn(ws)
        assert records[0]["item"]["result"]["value"] == value
        assert records[1] == {"type": 3, "invocationId": "0"}
        await ws.send_str(encode_record(invocation(body, invocation_id="1")))
        _, records = await read_turn(ws)
    assert records[-2]["item"]["result"]["value"] == "Success"


async def test_the_encrypted_signature_is_accepted_as_sec_access_token(
    session: aiohttp.ClientSession, hub: Hub, hub_url: str
) -> None:
    body, headers = await create(session, hub_url)
    token = quote(headers["X-Sydney-Encryptedconversationsignature"], safe="")
    record = invocation(body)
    del record["arguments"][0]["conversationSignature"]
    async with await open_chathub(session, hub_url, f"?sec_access_token={token}") as ws:
        await ws.send_str(encode_record(record))
        _, records = await read_turn(ws)
    assert records[-2]["item"]["result"]["value"] == "Success"
    assert hub.conversations[body["conversationId"]].auth_methods == ["sec_access_token"]


async def test_unknown_fields_are_ignored(session: aiohttp.ClientSession, hub_url: str) -> None:
    body, _ = await create(session, hub_url)
    async with await open_chathub(session, hub_url) as ws:
        await ws.send_str(encode_record(invocation(body, futureField={"x": 1})))
        _, records = await read_turn(ws)
    assert records[-2]["item"]["result"]["value"] == "Success"


async def test_a_reused_invocation_id_is_rejected(
    session: aiohttp.ClientSession, hub_url: str
) -> None:
    body, _ = await create(session, hub_url)
    async with await open_chathub(session, hub_url) as ws:
        await ws.send_str(encode_record(invocation(body)))
        await read_turn(ws)
        await ws.send_str(encode_record(invocation(body)))
        _, records = await read_turn(ws)
    assert records[0]["item"]["result"]["value"] == "InvalidRequest"
    assert "already used" in records[0]["item"]["result"]["message"]


async def test_an_expired_conversation_is_an_invalid_session(
    session: aiohttp.ClientSession,
) -> None:
    clock = FakeClock(1000.0)
    hub = Hub(conversation_ttl=60, clock=clock)
    async with running_hub(hub) as url:
        body, _ = await create(session, url)
        clock.advance(61)
        async with await open_chathub(session, url) as ws:
            await ws.send_str(encode_record(invocation(body)))
            _, records = await read_turn(ws)
        await hub.wait_closed()
    assert records[0]["item"]["result"]["value"] == "InvalidSession"


async def test_the_turn_limit_is_enforced(session: aiohttp.ClientSession) -> None:
    hub = Hub(max_turns=1)
    async with running_hub(hub) as url:
        body, _ = await create(session, url)
        async with await open_chathub(session, url) as ws:
            await ws.send_str(encode_record(invocation(body)))
            _, first = await read_turn(ws)
            await ws.send_str(encode_record(invocation(body, invocation_id="1")))
            _, second = await read_turn(ws)
        await hub.wait_closed()
    assert first[-2]["item"]["throttling"]["numUserMessagesInConversation"] == 1
    assert second[0]["item"]["result"]["value"] == "InvalidRequest"


async def test_the_responder_is_pluggable_and_sees_the_request(
    session: aiohttp.ClientSession,
) -> None:
    seen: list[TurnRequest] = []

    def responder(request: TurnRequest) -> str:
        seen.append(request)
        return "Fixed answer."

    hub = Hub(responder=responder)
    async with running_hub(hub) as url:
        body, _ = await create(session, url)
        previous = [
            {
                "author": "user",
                "description": "[user](#message)\nHi\n\n",
                "contextType": "WebPage",
                "messageType": "Context",
                "messageId": "x",
            }
        ]
        async with await open_chathub(session, url) as ws:
            await ws.send_str(
                encode_record(
                    invocation(
                        body,
                        "Q?",
                        tone="Creative",
                        optionsSets=["nosearchall"],
                        previousMessages=previous,
                    )
                )
            )
            _, records = await read_turn(ws)
        await hub.wait_closed()
    assert records[-2]["item"]["messages"][-1]["text"] == "Fixed answer."
    assert seen == [
        TurnRequest(
            prompt="Q?",
            context="[user](#message)\nHi\n\n",
            style="Creative",
            turn=1,
            conversation_id=body["conversationId"],
            search=False,
        )
    ]


def test_an_unknown_scenario_is_refused_with_the_list() -> None:
    with pytest.raises(ValueError, match="known: stream"):
        Hub(scenario="nope")
