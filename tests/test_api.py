"""The OpenAI-compatible server, driven by the official openai package and raw HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from g4f.api import ApiSettings, ApiThread
from g4f.client import NO_RETRY, Timeouts
from g4f.hub import Hub, HubThread, Reply
from g4f.hub.records import APOLOGY_TEXT

from .common import ANSWER, HALF, USER, FakeClock, api_settings


@pytest.fixture
def settings(thread_hub: str) -> ApiSettings:
    return api_settings(
        url=thread_hub, retry=NO_RETRY, timeouts=Timeouts(read=0.5, ping_interval=0.2)
    )


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


def test_max_tokens_ends_with_length(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="gpt-4", messages=USER, max_tokens=3)
    assert completion.choices[0].message.content == ANSWER[:12]
    assert completion.choices[0].finish_reason == "length"
    contents, reasons, _ = stream_text(oai, max_tokens=3)
    assert "".join(c for c in contents if c) == ANSWER[:12] and reasons[-1] == "length"


def test_a_stop_sequence_ends_with_length(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="gpt-4", messages=USER, stop=["Style"])
    assert completion.choices[0].message.content == ANSWER[: ANSWER.index("Style")]
    assert completion.choices[0].finish_reason == "length"
    contents, reasons, _ = stream_text(oai, stop="No earlier")
    assert "".join(c for c in contents if c) == ANSWER[: ANSWER.index("No earlier")]
    assert reasons[-1] == "length"


def test_a_retraction_is_a_content_filter(hub: Hub, oai: openai.OpenAI) -> None:
    hub.scenario = "apology"
    completion = oai.chat.completions.create(model="gpt-4", messages=USER)
    assert completion.choices[0].finish_reason == "content_filter"
    assert completion.choices[0].message.content == APOLOGY_TEXT
    contents, reasons, _ = stream_text(oai)
    assert "".join(c for c in contents if c) == HALF and reasons[-1] == "content_filter"


def test_models_map_to_styles(oai: openai.OpenAI) -> None:
    for model, tone in [
        ("bing-creative", "Creative"),
        ("bing-balanced", "Balanced"),
        ("bing-precise", "Precise"),
        ("gpt-4", "Precise"),
    ]:
        content = oai.chat.completions.create(model=model, messages=USER).choices[0].message.content
        assert f"Style: {tone}" in (content or "")


def test_temperature_top_p_and_user_are_accepted(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="gpt-4", messages=USER, temperature=0.2, top_p=0.9, user="u1"
    )
    assert completion.choices[0].message.content == ANSWER


def test_history_is_folded_and_text_parts_are_joined(oai: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}],
        },
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "How are you?"},
    ]
    content = (
        oai.chat.completions.create(model="gpt-4", messages=messages).choices[0].message.content
    )  # type: ignore[arg-type]
    assert content is not None
    assert "You said: «How are you?»" in content and "I see 3 earlier message(s)" in content


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


async def test_async_client_streaming_and_not(api_url: str) -> None:
    async with openai.AsyncOpenAI(base_url=api_url + "/v1", api_key="x", max_retries=0) as client:
        completion = await client.chat.completions.create(model="gpt-4", messages=USER)  # type: ignore[arg-type]
        assert completion.choices[0].message.content == ANSWER
        stream = await client.chat.completions.create(model="gpt-4", messages=USER, stream=True)  # type: ignore[arg-type]
        async with stream:
            pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
        assert "".join(pieces) == ANSWER


def test_models_and_health(api_url: str, oai: openai.OpenAI) -> None:
    assert [m.id for m in oai.models.list()] == [
        "gpt-4",
        "bing-creative",
        "bing-balanced",
        "bing-precise",
    ]
    assert oai.models.retrieve("bing-creative").owned_by == "g4f-bing"
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("gpt-5")
    assert httpx.get(api_url + "/health").json() == {"status": "ok"}


# -- errors --------------------------------------------------------------------------------


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"} and {"message", "type", "code"} <= set(body["error"])
    return body["error"]  # type: ignore[no-any-return]


def post(api_url: str, body: object, **kwargs: object) -> httpx.Response:
    return httpx.post(api_url + "/v1/chat/completions", json=body, timeout=30, **kwargs)  # type: ignore[arg-type]


def test_unknown_model_is_404(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="gpt-5", messages=USER)
    assert caught.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "gpt-4"}, 422, "messages"),
        ({"messages": []}, 422, "messages"),
        ({"messages": [{"role": "tool", "content": "x"}]}, 422, "messages.0.role"),
        ({"messages": USER, "max_tokens": 0}, 422, "max_tokens"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            400,
            "messages[0].content[0]",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            400,
            "messages[0].content",
        ),
        (  # Bing's service takes no images
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is it?"},
                            {
                                "type": "image_url",
                                "image_url": {"url": "data:image/gif;base64,R0lGODlhAQABAAAAACw="},
                            },
                        ],
                    }
                ]
            },
            400,
            "messages[0]",
        ),
        ({"messages": [{"role": "assistant", "content": "x"}]}, 400, "messages"),
        ({"messages": USER, "n": 2}, 400, "n"),
    ],
)
def test_bad_requests_get_openai_errors(
    api_url: str, body: dict[str, object], status: int, param: str
) -> None:
    response = post(api_url, body)
    assert response.status_code == status
    error = error_of(response)
    assert error["type"] == "invalid_request_error" and error["param"] == param


def test_a_wrong_api_key_is_401(thread_hub: str) -> None:
    with ApiThread(api_settings(url=thread_hub, api_key="right-key")) as url:
        client = openai.OpenAI(base_url=url + "/v1", api_key="wrong-key", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="gpt-4", messages=USER)  # type: ignore[arg-type]
        good = openai.OpenAI(base_url=url + "/v1", api_key="right-key", max_retries=0)
        assert (
            good.chat.completions.create(model="gpt-4", messages=USER).choices[0].message.content
            == ANSWER
        )  # type: ignore[arg-type]
        assert httpx.get(url + "/health").status_code == 200  # health needs no key
        client.close(), good.close()


@pytest.mark.parametrize(
    ("scenario", "status", "code", "before_text"),
    [
        ("fail:Throttled", 429, "upstream_rate_limited", False),
        ("fail:ProcessingMessage", 429, "upstream_rate_limited", False),
        ("fail:CaptchaChallenge", 502, "challenge_required", False),
        ("create-403", 502, "access_denied", True),
        ("create-500", 502, "server_error", True),
        ("malformed", 502, "protocol_error", False),
        ("close", 502, "connection_closed", False),
        ("silence", 504, "upstream_timeout", True),
    ],
)
def test_upstream_failures_map_to_statuses(
    hub: Hub, api_url: str, scenario: str, status: int, code: str, before_text: bool
) -> None:
    hub.scenario = scenario
    # Streaming too, when the failure comes before any text (else see the next tests).
    for stream in (False, True) if before_text else (False,):
        response = post(api_url, {"messages": USER, "stream": stream})
        assert response.status_code == status, (stream, response.text)
        assert error_of(response)["code"] == code


def test_upstream_rate_limit_carries_retry_after(hub: Hub, api_url: str) -> None:
    hub.scenario = "create-429"
    response = post(api_url, {"messages": USER})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_an_error_after_streaming_began_ends_the_stream_with_an_error(
    hub: Hub, api_url: str, oai: openai.OpenAI
) -> None:
    hub.scenario = "close"
    received = []
    with pytest.raises(openai.APIError, match="closed the conversation"):
        for chunk in oai.chat.completions.create(model="gpt-4", messages=USER, stream=True):  # type: ignore[arg-type]
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == HALF
    raw = post(api_url, {"messages": USER, "stream": True}).text
    events = [line for line in raw.split("\n\n") if line]
    assert json.loads(events[-1].removeprefix("data: "))["error"]["code"] == "connection_closed"
    assert "[DONE]" not in raw


def test_raw_sse_byte_format(api_url: str) -> None:
    with httpx.stream(
        "POST", api_url + "/v1/chat/completions", json={"messages": USER, "stream": True}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = b"".join(response.iter_bytes())
    assert raw.endswith(b"data: [DONE]\n\n")
    events = raw.split(b"\n\n")[:-1]
    assert all(e.startswith(b"data: ") and b"\n" not in e for e in events)
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0] == {
        "delta": {"content": None, "role": None},
        "finish_reason": "stop",
        "index": 0,
    }
    assert len({c["id"] for c in chunks}) == 1 and len({c["created"] for c in chunks}) == 1


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


def test_body_and_message_limits(thread_hub: str) -> None:
    with ApiThread(api_settings(url=thread_hub, max_body_bytes=2000, max_messages=3)) as url:
        big = post(url, {"messages": [{"role": "user", "content": "x" * 5000}]})
        assert big.status_code == 413 and error_of(big)["code"] == "request_too_large"
        many = post(url, {"messages": [{"role": "user", "content": "x"}] * 4})
        assert many.status_code == 400 and error_of(many)["param"] == "messages"


def test_callers_cannot_choose_the_upstream(hub: Hub, api_url: str) -> None:
    response = post(
        api_url, {"messages": USER, "url": "http://169.254.169.254", "proxy": "socks5://x:1"}
    )
    assert response.status_code == 200
    assert hub.create_requests == 1  # the configured hub served it


def test_no_cors_unless_configured(api_url: str, thread_hub: str) -> None:
    preflight = {"Origin": "https://example.com", "Access-Control-Request-Method": "POST"}
    response = httpx.options(api_url + "/v1/chat/completions", headers=preflight)
    assert "access-control-allow-origin" not in response.headers
    with ApiThread(api_settings(url=thread_hub, cors_origins=("https://example.com",))) as url:
        response = httpx.options(url + "/v1/chat/completions", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://example.com"


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
