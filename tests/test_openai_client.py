"""``g4f.client.Client`` and ``AsyncClient``: the openai package's shape, in-process."""

from __future__ import annotations

import pytest

from g4f import errors
from g4f.client import NO_RETRY, AsyncClient, Client, Timeouts
from g4f.hub import Hub, TurnRequest, echo_responder
from g4f.hub.bing.spec import APOLOGY_TEXT

from .common import ANSWER, HALF, PROMPT, USER


@pytest.fixture
def client(thread_hub: str) -> Client:
    return Client(url=thread_hub, retry=NO_RETRY, timeouts=Timeouts(read=30))


def test_non_streaming_completion(client: Client) -> None:
    completion = client.chat.completions.create(model="gpt-4", messages=USER)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert (
        completion.usage.total_tokens
        == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert completion.model_dump()["choices"][0]["message"]["content"] == ANSWER


def test_streaming_chunks(client: Client) -> None:
    chunks = list(client.chat.completions.create(model="bing-creative", messages=USER, stream=True))
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert (
        chunks[-1].choices[0].finish_reason == "stop"
        and chunks[-1].choices[0].delta.content is None
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == echo_responder(TurnRequest(PROMPT, style="Creative")).text


@pytest.mark.parametrize(
    ("scenario", "kwargs", "content", "reason"),
    [
        ("stream", {"max_tokens": 3}, ANSWER[:12], "length"),
        ("stream", {"stop": "Style"}, ANSWER[: ANSWER.index("Style")], "length"),
        ("apology", {}, APOLOGY_TEXT, "content_filter"),
    ],
)
def test_finish_reasons(
    hub: Hub, client: Client, scenario: str, kwargs: dict[str, object], content: str, reason: str
) -> None:
    hub.scenario = scenario
    completion = client.chat.completions.create(model="gpt-4", messages=USER, **kwargs)  # type: ignore[arg-type]
    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == (
        content,
        reason,
    )
    chunks = list(
        client.chat.completions.create(model="gpt-4", messages=USER, stream=True, **kwargs)
    )  # type: ignore[arg-type]
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == (HALF if scenario == "apology" else content)
    assert chunks[-1].choices[0].finish_reason == reason


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("fail:Throttled", errors.RateLimited),
        ("create-403", errors.AccessDenied),
        ("silence", errors.ResponseTimeout),
        ("close", errors.ConnectionClosed),
    ],
)
def test_failures_raise_typed_errors(
    hub: Hub, thread_hub: str, client: Client, scenario: str, error: type[Exception]
) -> None:
    hub.scenario = scenario
    if scenario == "silence":  # a short read deadline only where the silence is tested
        client = Client(url=thread_hub, retry=NO_RETRY, timeouts=Timeouts(read=0.5))
    with pytest.raises(error):
        client.chat.completions.create(model="gpt-4", messages=USER)


def test_bad_input_is_refused_before_any_request(hub: Hub, client: Client) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        client.chat.completions.create(model="gpt-5", messages=USER)
    with pytest.raises(ValueError, match="last message"):
        client.chat.completions.create(
            model="gpt-4", messages=[{"role": "assistant", "content": "x"}]
        )
    assert hub.create_requests == 0


async def test_async_client(thread_hub: str) -> None:
    client = AsyncClient(url=thread_hub)
    completion = await client.chat.completions.create(model="gpt-4", messages=USER)
    assert completion.choices[0].message.content == ANSWER  # type: ignore[union-attr]
    stream = await client.chat.completions.create(model="gpt-4", messages=USER, stream=True)
    chunks = [chunk async for chunk in stream]  # type: ignore[union-attr]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_async_client_errors(hub: Hub, thread_hub: str) -> None:
    hub.scenario = "fail:CaptchaChallenge"
    client = AsyncClient(url=thread_hub)
    with pytest.raises(errors.ChallengeRequired) as caught:
        await client.chat.completions.create(model="gpt-4", messages=USER)
    assert caught.value.partial_text == HALF


def test_the_servers_chunk_template_matches_the_chunk_objects() -> None:
    from g4f.openai import ChunkBuilder, Part

    fast = ChunkBuilder(model="bing-creative", conversation_id='c"1')
    slow = ChunkBuilder(
        model="bing-creative", conversation_id='c"1', id=fast.id, created=fast.created
    )
    import json

    assert json.loads(fast.chunk_json()) == slow.first().model_dump()
    for part in (Part('He said "hi" \\u00e9\n'), Part("Привет"), Part(finish_reason="length")):
        assert json.loads(fast.chunk_json(part)) == slow.chunk(part).model_dump()
