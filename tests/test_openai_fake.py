"""The OpenAI-shaped surface (``g4f.openai``) on a :class:`FakeBackend`: no socket, no hub.

What crosses the wire (a real hub's records becoming these events and errors) is in
``test_openai_client.py``; here the backend plays a script of events.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Iterator, Sequence
from typing import Any

import pytest

from g4f import errors
from g4f.client import AsyncClient, Client
from g4f.engine.backend import Capabilities
from g4f.engine.fake import FakeAsk, FakeBackend, Step
from g4f.engine.images import Image
from g4f.openai import (
    BadRequest,
    ChatCompletionChunk,
    CompletionRequest,
    CompletionResponse,
    Part,
    UnknownModel,
    complete,
)
from g4f.openai.request import estimate_tokens
from g4f.protocol import Final, Retraction, SearchProgress, Style, TextDelta
from g4f.protocol.history import fold
from g4f.services.registry import DEFAULT_SERVICE, REGISTRY

PIECES = ("Hello ", "there, ", "this is ", "an answer ", "that streams END and more.")
ANSWER = "".join(PIECES)
USER = [{"role": "user", "content": "Hi"}]
APOLOGY = "I'm sorry, I can't answer that. Let's talk about something else."
GIF = "data:image/gif;base64," + base64.b64encode(b"GIF89a\x01\x00\x01\x00").decode()


def turn(*pieces: str) -> list[Step]:
    """A turn answering ``pieces`` one delta each, with a search step first."""
    pieces = pieces or PIECES
    return [
        SearchProgress("Searching", "InternalSearchQuery"),
        *(TextDelta(p) for p in pieces),
        Final("".join(pieces)),
    ]


def create(client: Client, **request: Any) -> CompletionResponse:
    """``client``'s non-streaming completion of ``request`` (the user's "Hi" by default)."""
    completion = client.chat.completions.create(**{"messages": USER, **request})
    assert isinstance(completion, CompletionResponse)
    return completion


def stream(client: Client, **request: Any) -> Iterator[ChatCompletionChunk]:
    """``client``'s streamed chunks of ``request``, as they come."""
    chunks = client.chat.completions.create(**{"messages": USER, **request}, stream=True)
    assert not isinstance(chunks, CompletionResponse)
    return chunks


def streamed(chunks: Sequence[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks)


# -- completions -------------------------------------------------------------------------------


def test_a_completion_is_the_whole_answer_and_the_backend_stays_open() -> None:
    backend = FakeBackend(turn())
    completion = create(Client(backend=backend), model="gpt-4")
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4"
    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == (
        ANSWER,
        "stop",
    )
    assert completion.usage.completion_tokens == estimate_tokens(ANSWER)
    assert completion.usage.prompt_tokens == estimate_tokens("Hi")
    assert backend.asked == [FakeAsk("Hi", "fake-1", Style.PRECISE, None, True, None, ())]
    assert (backend.stopped, backend.closed) == (0, False)  # borrowed: its owner closes it


def test_streamed_chunks_carry_each_delta_and_end_with_the_reason() -> None:
    backend = FakeBackend(turn())
    chunks = list(stream(Client(backend=backend), model="bing-creative"))
    assert len({c.id for c in chunks}) == 1
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    first = chunks[0].choices[0].delta
    assert (first.role, first.content) == ("assistant", "")
    assert [c.choices[0].delta.content for c in chunks[1:-1]] == list(PIECES)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].choices[0].delta.content is None
    assert backend.asked[0].style is Style.CREATIVE and backend.stopped == 0


def test_earlier_messages_are_folded_into_the_turns_context() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "And now?"},
    ]
    backend = FakeBackend()
    completion = create(Client(backend=backend), messages=messages)
    assert completion.choices[0].message.content == "Echo: And now?"
    prompt, context = fold([(m["role"], m["content"]) for m in messages])
    assert (backend.asked[0].prompt, backend.asked[0].context) == (prompt, context)
    assert context and "[assistant](#message)\nHello!" in context


@pytest.mark.parametrize(
    ("limits", "content"),
    [
        ({"max_tokens": 3}, ANSWER[:12]),
        ({"stop": "END"}, ANSWER[: ANSWER.index("END")]),
        ({"stop": ["there", "END"]}, "Hello "),
    ],
)
def test_max_tokens_and_stop_cut_the_answer_and_stop_the_turn(
    limits: dict[str, object], content: str
) -> None:
    backend = FakeBackend(turn(), turn())
    client = Client(backend=backend)
    completion = create(client, **limits)
    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == (
        content,
        "length",
    )
    chunks = list(stream(client, **limits))
    assert (streamed(chunks), chunks[-1].choices[0].finish_reason) == (content, "length")
    assert backend.stopped == 2  # each turn closed upstream as soon as the limit ended it


def test_a_retraction_ends_as_content_filter_with_the_apology() -> None:
    script: list[Step] = [TextDelta("Half an "), Retraction("Half an ", APOLOGY), Final(APOLOGY)]
    backend = FakeBackend(script, list(script))
    client = Client(backend=backend)
    completion = create(client)
    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == (
        APOLOGY,
        "content_filter",
    )
    chunks = list(stream(client))
    assert (streamed(chunks), chunks[-1].choices[0].finish_reason) == ("Half an ", "content_filter")
    assert backend.stopped == 2  # nothing after the retraction is read


def test_a_refusal_ends_as_content_filter_keeping_what_streamed() -> None:
    backend = FakeBackend(
        [TextDelta("Let me "), errors.Refused("declined")],
        [TextDelta("Let me "), errors.Refused("declined")],
    )
    client = Client(backend=backend)
    completion = create(client)
    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == (
        "Let me ",
        "content_filter",
    )
    chunks = list(stream(client))
    assert (streamed(chunks), chunks[-1].choices[0].finish_reason) == ("Let me ", "content_filter")


def test_an_upstream_error_before_any_text_is_raised_as_it_is() -> None:
    def throttled() -> errors.RateLimited:
        return errors.RateLimited("Throttled", result_value="Throttled", retry_after=30)

    backend = FakeBackend([throttled()], [throttled()])
    client = Client(backend=backend)
    with pytest.raises(errors.RateLimited) as caught:
        create(client)
    assert (caught.value.partial_text, caught.value.retry_after) == ("", 30)
    chunks = []
    with pytest.raises(errors.RateLimited):
        for chunk in stream(client):
            chunks.append(chunk)
    assert chunks == []  # not even the role chunk: a server can still answer with a status


def test_an_upstream_error_mid_stream_keeps_the_partial_text() -> None:
    def broken() -> list[Step]:
        return [TextDelta("Half "), TextDelta("way "), errors.ConnectionClosed("closed")]

    backend = FakeBackend(broken(), broken())
    client = Client(backend=backend)
    with pytest.raises(errors.ConnectionClosed) as caught:
        create(client)
    assert caught.value.partial_text == "Half way "
    chunks = []
    with pytest.raises(errors.ConnectionClosed) as caught:
        for chunk in stream(client):
            chunks.append(chunk)
    assert streamed(chunks) == caught.value.partial_text == "Half way "
    assert all(c.choices[0].finish_reason is None for c in chunks)


def test_images_are_refused_for_a_backend_without_the_capability() -> None:
    message = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": GIF}},
            ],
        }
    ]
    blind = FakeBackend(capabilities=Capabilities())
    with pytest.raises(BadRequest, match="takes no images") as caught:
        Client(backend=blind).chat.completions.create(messages=message)
    assert caught.value.param == "messages[0]"
    assert blind.asked == []  # refused before the backend was asked
    seeing = FakeBackend(capabilities=Capabilities(images=True))
    Client(backend=seeing).chat.completions.create(messages=message)
    assert seeing.asked[0].images == (Image.from_data_url(GIF),)


def test_bad_input_is_refused_before_the_backend_is_asked() -> None:
    backend = FakeBackend()
    client = Client(backend=backend)
    with pytest.raises(UnknownModel, match="does not exist"):
        client.chat.completions.create(model="gpt-5", messages=USER)
    with pytest.raises(BadRequest, match="last message"):
        client.chat.completions.create(messages=[{"role": "assistant", "content": "x"}])
    with pytest.raises(BadRequest, match="max_tokens"):
        client.chat.completions.create(messages=USER, max_tokens=0)
    assert backend.asked == []


def test_a_ready_backend_takes_no_other_options() -> None:
    with pytest.raises(TypeError, match="url"):
        Client(backend=FakeBackend(), url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="service must be one of"):
        Client(backend=FakeBackend(), service="copilot")


@pytest.mark.parametrize("service", list(REGISTRY))
def test_the_model_table_is_the_registry_entrys(service: str) -> None:
    entry = REGISTRY[service]
    backend = FakeBackend()
    client = Client(service=service, backend=backend)
    assert create(client).model == entry.default_model
    for model in entry.models:
        assert create(client, model=model.id).model == model.id
        asked = backend.asked[-1]
        assert (asked.style, asked.tone) == (model.style, model.tone)
    if entry.model_prefix:  # any tone passes through the prefix
        client.chat.completions.create(model=f"{entry.model_prefix}Some_Tone", messages=USER)
        assert backend.asked[-1].tone == "Some_Tone"
    before = len(backend.asked)
    with pytest.raises(UnknownModel) as caught:
        create(client, model="no-such-model")
    assert all(m.id in caught.value.message for m in entry.models)
    assert len(backend.asked) == before


def test_without_a_service_the_default_services_models_are_served() -> None:
    backend = FakeBackend()
    completion = create(Client(backend=backend))
    assert completion.model == REGISTRY[DEFAULT_SERVICE].default_model


# -- the async client --------------------------------------------------------------------------


async def test_the_async_client_completes_and_streams() -> None:
    backend = FakeBackend(turn(), turn())
    client = AsyncClient(backend=backend)
    completion = await client.chat.completions.create(messages=USER)
    assert isinstance(completion, CompletionResponse)
    assert completion.choices[0].message.content == ANSWER
    chunks = await client.chat.completions.create(messages=USER, stream=True)
    assert not isinstance(chunks, CompletionResponse)
    collected = [chunk async for chunk in chunks]
    assert (streamed(collected), collected[-1].choices[0].finish_reason) == (ANSWER, "stop")
    assert (len(backend.asked), backend.stopped, backend.closed) == (2, 0, False)


async def test_a_caller_that_stops_reading_stops_the_turn_at_once() -> None:
    backend = FakeBackend(turn())
    chunks = await AsyncClient(backend=backend).chat.completions.create(messages=USER, stream=True)
    assert isinstance(chunks, AsyncGenerator)
    async for chunk in chunks:
        if chunk.choices[0].delta.content:
            break
    await chunks.aclose()
    assert backend.stopped == 1  # closed through every layer, not left to the loop's finalizer


async def test_the_async_client_raises_with_the_partial_text() -> None:
    backend = FakeBackend([TextDelta("Half "), errors.ChallengeRequired("captcha")])
    with pytest.raises(errors.ChallengeRequired) as caught:
        await AsyncClient(backend=backend).chat.completions.create(messages=USER)
    assert caught.value.partial_text == "Half "


# -- complete() --------------------------------------------------------------------------------


async def test_complete_yields_the_text_parts_then_the_finish_reason() -> None:
    request = CompletionRequest.build(USER)
    parts = [p async for p in complete(FakeBackend(turn()), request)]
    assert parts == [*(Part(p) for p in PIECES), Part(finish_reason="stop")]


async def test_complete_holds_back_a_possible_stop_sequence_until_it_is_known() -> None:
    request = CompletionRequest.build(USER, stop="ENDING")
    backend = FakeBackend(turn("one EN", "D two"))
    parts = [p async for p in complete(backend, request)]
    assert parts == [Part("one "), Part("END two"), Part(finish_reason="stop")]
    assert backend.stopped == 0


async def test_complete_sends_the_context_to_a_new_conversation_only() -> None:
    messages = [{"role": "user", "content": "First"}, *USER]
    request = CompletionRequest.build(messages)
    backend = FakeBackend()
    conversation = await backend.start_conversation()
    for _ in range(2):
        async for _part in complete(backend, request, conversation=conversation):
            pass
    first, second = backend.asked
    assert first.context == "[user](#message)\nFirst\n\n"
    assert second.context is None  # the server keeps the history of a conversation
    assert first.conversation_id == second.conversation_id == conversation.conversation_id
    assert (conversation.turn, conversation.answered) == (2, 2)


async def test_complete_passes_the_models_tone() -> None:
    service, model = next((e.name, m) for e in REGISTRY.values() for m in e.models if m.tone)
    request = CompletionRequest.build(USER, model=model.id, service=service)
    backend = FakeBackend()
    parts = [p async for p in complete(backend, request)]
    assert parts[-1] == Part(finish_reason="stop")
    assert backend.asked[0].tone == model.tone
