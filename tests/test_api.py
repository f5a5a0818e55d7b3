"""The OpenAI-compatible server against the hub: what crosses the wire (an answer whole and
streamed, a continued conversation, a client that leaves stopping the upstream turn).

What the routes make of a backend's events is in ``test_api_fake.py`` (no hub, in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from g4f.api import ApiSettings, ApiThread, Upstream
from g4f.client import NO_RETRY
from g4f.hub import Hub, HubThread, Reply

from .common import ANSWER, USER, FakeClock


@pytest.fixture
def settings(thread_hub: str) -> ApiSettings:
    return ApiSettings(Upstream(url=thread_hub, retry=NO_RETRY))


@pytest.fixture
def api_url(settings: ApiSettings) -> Iterator[str]:
    with ApiThread(settings) as url:
        yield url


@pytest.fixture
def oai(api_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=api_url + "/v1", api_key="unused", max_retries=0) as client:
        yield client


def stream_text(
    oai: openai.OpenAI, **kwargs: object
) -> tuple[list[str | None], list[str | None], set[str]]:
    contents, reasons, ids = [], [], set()
    for chunk in oai.chat.completions.create(model="gpt-4", messages=USER, stream=True, **kwargs):  # type: ignore[call-overload]
        contents.append(chunk.choices[0].delta.content)
        reasons.append(chunk.choices[0].finish_reason)
        ids.add(chunk.id)
    return contents, reasons, ids


def test_non_streaming_completion(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="gpt-4", messages=USER)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == -(-len(ANSWER) // 4)
    assert (
        completion.usage.total_tokens
        == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_streaming_chunks_come_in_order_with_one_id(oai: openai.OpenAI) -> None:
    contents, reasons, ids = stream_text(oai)
    assert len(ids) == 1
    assert contents[0] == "" and reasons[0] is None  # the first chunk carries the role
    assert reasons[-1] == "stop" and contents[-1] is None
    assert all(r is None for r in reasons[:-1])
    assert "".join(c for c in contents if c) == ANSWER


def test_a_conversation_id_continues_a_server_side_conversation(oai: openai.OpenAI) -> None:
    first = oai.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "one"}]
    )
    conversation_id = first.model_extra["conversation_id"]  # type: ignore[index]
    assert conversation_id
    second = oai.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "two"}],
        extra_body={"conversation_id": conversation_id},
    )
    assert "turn 2" in (second.choices[0].message.content or "")
    assert second.model_extra["conversation_id"] == conversation_id  # type: ignore[index]


def test_a_client_disconnect_closes_the_upstream_websocket(
    hub_thread: HubThread, hub: Hub, api_url: str
) -> None:
    hub.responder = lambda request: Reply(" ".join(f"word{i}" for i in range(500)))
    hub.pace = 0.02
    with httpx.stream(
        "POST", api_url + "/v1/chat/completions", json={"messages": USER, "stream": True}
    ) as response:
        for line in response.iter_lines():
            if "word3" in line:
                break
    hub_thread.wait_closed(timeout=30)
    assert (hub.websockets_opened, hub.open_websockets) == (1, 0)
    assert len(hub.conversations[next(iter(hub.conversations))].history) == 0  # never finished


async def test_the_memory_store_expires_and_caps() -> None:
    from g4f.api.store import MemoryStore
    from g4f.client import Conversation

    clock = FakeClock()
    store = MemoryStore(ttl=10, cap=2, clock=clock)
    for name in "abc":
        await store.put("bing", Conversation(name, "u"))
    assert await store.get("a") is None and await store.count() == 2  # capped: the oldest went
    clock.advance(11)
    assert await store.get("b") is None and await store.count() == 0  # expired
