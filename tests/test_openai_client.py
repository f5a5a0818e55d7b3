"""``g4f.client.Client`` and ``AsyncClient`` over a real hub: what crosses the wire.

The surface's own behaviour (chunks, limits, finish reasons, errors, the model table) is tested
on a fake backend in ``test_openai_fake.py``."""

from __future__ import annotations

import pytest

from g4f import errors
from g4f.client import NO_RETRY, AsyncClient, Client, Timeouts
from g4f.hub import Hub, TurnRequest, echo_responder
from g4f.openai import Part

from .common import ANSWER, HALF, PROMPT, USER


@pytest.fixture
def client(thread_hub: str) -> Client:
    return Client(url=thread_hub, retry=NO_RETRY, timeouts=Timeouts(read=30, ping_interval=1))


def test_a_completion_over_the_hub(client: Client) -> None:
    completion = client.chat.completions.create(model="gpt-4", messages=USER)
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    chunks = list(client.chat.completions.create(model="bing-creative", messages=USER, stream=True))
    assert chunks[-1].choices[0].finish_reason == "stop"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == echo_responder(TurnRequest(PROMPT, style="Creative")).text


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("fail:Throttled", errors.RateLimited),
        ("create-403", errors.AccessDenied),
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


async def test_the_async_client_over_the_hub_keeps_the_partial_text(
    hub: Hub, thread_hub: str
) -> None:
    client = AsyncClient(url=thread_hub, retry=NO_RETRY)
    stream = await client.chat.completions.create(model="gpt-4", messages=USER, stream=True)
    chunks = [chunk async for chunk in stream]  # type: ignore[union-attr]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER
    hub.scenario = "fail:CaptchaChallenge"
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



def _parts(*texts: str, end: Part) -> list[Part]:
    return [Part(t) for t in texts] + [end]


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        pytest.param([], "", id="nothing"),
        pytest.param(_parts("He", "llo", end=Part(finish_reason="stop")), "Hello", id="joined"),
        pytest.param(
            _parts("Hel", end=Part(finish_reason="stop", answer="Hello!")),
            "Hello!",
            id="the final record's answer",
        ),
        pytest.param(
            _parts("Sure, the", end=Part(finish_reason="content_filter", apology="Sorry.")),
            "Sorry.",
            id="withdrawn: the apology, not the text",
        ),
        pytest.param(
            _parts("Sure", end=Part(finish_reason="content_filter")),
            "Sure",
            id="withdrawn, no apology",
        ),
    ],
)
def test_the_whole_text_of_an_answer_is_one_rule_for_every_shape(
    parts: list[Part], text: str
) -> None:
    from g4f.openai import ChunkBuilder, whole_text

    assert whole_text(parts) == text
    completion = ChunkBuilder(model="gpt-4", prompt_tokens=1).completion(parts)
    assert completion.choices[0].message.content == text
