"""The API's three shapes over a scripted backend, in-process: OpenAI's Responses API and
Anthropic's Messages API through their official packages, and Chat Completions as clients send
it today. What crosses the wire to the services is in ``test_api_shapes_hub.py``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

from g4f import errors
from g4f.api import ApiSettings, HttpLimits, Upstream
from g4f.api.store import Lease, MemoryStore, Stored
from g4f.engine.fake import FakeBackend, Step
from g4f.protocol import Final, Retraction, TextDelta

from .asgi import api

HELLO: list[Step] = [TextDelta("Hel"), TextDelta("lo there"), Final("Hello there")]
FAILING: list[Step] = [TextDelta("Hel"), errors.ConnectionClosed("closed mid-answer")]
PNG = (  # a 1×1 PNG, base64
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
    "AAAABJRU5ErkJggg=="
)
RESPONSE_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]
MESSAGE_EVENTS = [
    "message_start",
    "content_block_start",
    "ping",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]


def sse(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The ``event:`` name and data of each event of ``response``."""
    assert response.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in response.text.split("\n\n")[:-1]:
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        found.append((lines["event"], json.loads(lines["data"])))
    return found


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api(FakeBackend(HELLO, HELLO, HELLO)) as http:
        yield http


def openai_client(http: httpx.AsyncClient) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url="http://api.test/v1", api_key="k", http_client=http)


def anthropic_client(http: httpx.AsyncClient) -> anthropic.AsyncAnthropic:
    """The anthropic package's client of the app ``http`` serves (it speaks through httpx2)."""
    app = http._transport.app  # type: ignore[attr-defined]
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    return anthropic.AsyncAnthropic(
        base_url="http://api.test", api_key="k", http_client=httpx2.AsyncClient(transport=transport)
    )


# --- Responses ---------------------------------------------------------------------------


async def test_responses_create_is_a_response_with_a_message_of_output_text(
    client: httpx.AsyncClient,
) -> None:
    response = await openai_client(client).responses.create(
        model="bing-creative", input="Hi", instructions="Be brief."
    )
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.output_text == "Hello there"
    item = response.output[0]
    assert item.type == "message" and item.id.startswith("msg_")
    assert [part.type for part in item.content] == ["output_text"]
    assert response.usage is not None and response.usage.input_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


async def test_responses_stream_is_the_spec_events_in_order(client: httpx.AsyncClient) -> None:
    raw = await client.post("/v1/responses", json={"input": "Hi", "stream": True})
    events = sse(raw)
    assert [name for name, _ in events] == RESPONSE_EVENTS
    assert all(name == data["type"] for name, data in events)
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert events[-1][1]["response"]["output"][0]["content"][0]["text"] == "Hello there"
    assert "[DONE]" not in raw.text


async def test_the_stream_helper_gives_the_final_response(client: httpx.AsyncClient) -> None:
    async with openai_client(client).responses.stream(model="bing-balanced", input="Hi") as stream:
        deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert "".join(deltas) == "Hello there" == final.output_text
    assert final.status == "completed"


async def test_previous_response_id_continues_the_conversation() -> None:
    backend = FakeBackend(HELLO)
    async with api(backend) as http:
        client = openai_client(http)
        first = await client.responses.create(input="Hi")
        second = await client.responses.create(input="And then?", previous_response_id=first.id)
        kept = await client.responses.retrieve(second.id)
        await client.responses.delete(first.id)
        with pytest.raises(openai.NotFoundError) as gone:
            await client.responses.retrieve(first.id)
    assert second.output_text == "Echo: And then?" == kept.output_text
    assert [a.conversation_id for a in backend.asked] == ["fake-1", "fake-1"]
    assert backend.asked[1].context is None  # the service keeps the history itself
    assert gone.value.body["code"] == "not_found"  # type: ignore[index]


async def test_an_unknown_or_unkept_response_is_a_404_in_openais_shape() -> None:
    async with api(FakeBackend()) as http:
        unkept = (await http.post("/v1/responses", json={"input": "Hi", "store": False})).json()
        responses = [
            await http.get("/v1/responses/resp_nope"),
            await http.get(f"/v1/responses/{unkept['id']}"),
            await http.delete("/v1/responses/resp_nope"),
            await http.post(
                "/v1/responses", json={"input": "Hi", "previous_response_id": "resp_nope"}
            ),
        ]
    for response in responses:
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert responses[3].json()["error"]["param"] == "previous_response_id"


async def test_only_the_latest_response_of_a_conversation_continues() -> None:
    async with api(FakeBackend()) as http:
        client = openai_client(http)
        first = await client.responses.create(input="one")
        await client.responses.create(input="two", previous_response_id=first.id)
        with pytest.raises(openai.BadRequestError) as refused:
            await client.responses.create(input="branch", previous_response_id=first.id)
    assert "latest" in refused.value.message


class OvertakenStore(MemoryStore):
    """A memory store in which, once :attr:`overtake` is set, another worker's turn runs
    between what a request read of a conversation and its taking the conversation's lease:
    the turn counter moves on first (once)."""

    overtake = False

    async def checkout(
        self, conversation_id: str, seconds: float
    ) -> tuple[Stored | None, Lease | None]:
        if self.overtake:
            self.overtake = False
            stored = await self.get(conversation_id)
            assert stored is not None
            moved = dataclasses.replace(stored.conversation, turn=stored.conversation.turn + 1)
            await self.put(stored.service, moved)
        return await super().checkout(conversation_id, seconds)


async def test_a_response_whose_conversation_moved_on_before_its_lease_is_refused() -> None:
    backend, store = FakeBackend(), OvertakenStore(ttl=3600, cap=100)
    async with api(backend, store=store) as http:
        client = openai_client(http)
        first = await client.responses.create(input="one")
        store.overtake = True
        with pytest.raises(openai.BadRequestError) as refused:
            await client.responses.create(input="two", previous_response_id=first.id)
    assert "latest" in refused.value.message
    assert refused.value.code == "not_supported"
    assert [a.prompt for a in backend.asked] == ["one"]  # the moved conversation was not asked


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"tools": [{"type": "function", "name": "f", "parameters": {}}]}, "tools"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"text": {"format": {"type": "json_object"}}}, "text.format"),
        (
            {"input": [{"type": "function_call_output", "call_id": "c", "output": "x"}]},
            "input[0]",
        ),
    ],
)
async def test_function_calling_and_json_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    response = await client.post("/v1/responses", json={"input": "Hi", **body})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and error["code"] == "not_supported"


async def test_a_length_limit_is_an_incomplete_response() -> None:
    long: list[Step] = [TextDelta("one two three four five six"), Final("")]
    async with api(FakeBackend(long, long)) as http:
        whole = await http.post("/v1/responses", json={"input": "Hi", "max_output_tokens": 2})
        raw = await http.post(
            "/v1/responses", json={"input": "Hi", "max_output_tokens": 2, "stream": True}
        )
    assert whole.json()["status"] == "incomplete"
    assert whole.json()["incomplete_details"] == {"reason": "max_output_tokens"}
    assert sse(raw)[-1][0] == "response.incomplete"


async def test_a_refusal_is_an_incomplete_response_with_content_filter() -> None:
    turn: list[Step] = [TextDelta("Sure: "), Retraction("Sure: ", "Let's change the topic.")]
    async with api(FakeBackend(turn)) as http:
        raw = await http.post("/v1/responses", json={"input": "Hi", "stream": True})
    name, data = sse(raw)[-1]
    assert name == "response.incomplete"
    assert data["response"]["incomplete_details"] == {"reason": "content_filter"}


async def test_a_failure_mid_stream_is_response_failed_with_a_code() -> None:
    async with api(FakeBackend(FAILING)) as http:
        raw = await http.post("/v1/responses", json={"input": "Hi", "stream": True})
    events = sse(raw)
    assert [name for name, _ in events][-2:] == ["response.output_text.delta", "response.failed"]
    error = events[-1][1]["response"]["error"]
    assert error["code"] == "server_error" and "connection_closed" in error["message"]


M365 = ApiSettings(Upstream("m365", options={"token": "t"}))


async def test_an_image_input_reaches_the_backend() -> None:
    backend = FakeBackend()
    item = {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
        ],
    }
    async with api(backend, M365) as http:
        response = await http.post("/v1/responses", json={"input": [item]})
    assert response.status_code == 200
    assert len(backend.asked[0].images) == 1 and backend.asked[0].prompt == "What is this?"


# --- Messages ----------------------------------------------------------------------------


async def test_messages_create_is_a_message_of_text_blocks(client: httpx.AsyncClient) -> None:
    message = await anthropic_client(client).messages.create(
        model="bing-creative",
        max_tokens=100,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hi"}],
    )
    assert message.id.startswith("msg_") and message.stop_reason == "end_turn"
    assert [(b.type, b.text) for b in message.content] == [("text", "Hello there")]  # type: ignore[union-attr]
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


async def test_messages_stream_is_the_spec_events_in_order(client: httpx.AsyncClient) -> None:
    raw = await client.post(
        "/v1/messages",
        json={
            "model": "bing-creative",
            "max_tokens": 100,
            "stream": True,
            "messages": [{"role": "user", "content": "Hi"}],
        },
    )
    events = sse(raw)
    assert [name for name, _ in events] == MESSAGE_EVENTS
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"


async def test_the_messages_stream_helper(client: httpx.AsyncClient) -> None:
    async with anthropic_client(client).messages.stream(
        model="bing-precise", max_tokens=50, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "Hello there" == final.content[0].text  # type: ignore[union-attr]


async def test_a_history_that_extends_one_answered_continues_its_conversation() -> None:
    backend = FakeBackend()
    async with api(backend) as http:
        client = anthropic_client(http)
        history: list[Any] = [{"role": "user", "content": "one"}]
        for prompt in ("two", "three"):
            answer = await client.messages.create(
                model="bing-creative", max_tokens=50, messages=history
            )
            history += [
                {"role": "assistant", "content": answer.content},
                {"role": "user", "content": prompt},
            ]
        await client.messages.create(model="bing-creative", max_tokens=50, messages=history)
        await client.messages.create(  # a differing history: a new conversation
            model="bing-creative",
            max_tokens=50,
            messages=[*history[:1], {"role": "assistant", "content": "Other"}, history[-1]],
        )
    assert [a.conversation_id for a in backend.asked] == ["fake-1"] * 3 + ["fake-2"]
    assert [a.prompt for a in backend.asked] == ["one", "two", "three", "three"]
    assert backend.asked[3].context is not None and "Other" in backend.asked[3].context


async def test_a_history_whose_conversation_moved_on_before_its_lease_starts_anew() -> None:
    backend, store = FakeBackend(), OvertakenStore(ttl=3600, cap=100)
    async with api(backend, store=store) as http:
        client = anthropic_client(http)
        history: list[Any] = [{"role": "user", "content": "one"}]
        answer = await client.messages.create(
            model="bing-creative", max_tokens=50, messages=history
        )
        history += [
            {"role": "assistant", "content": answer.content},
            {"role": "user", "content": "two"},
        ]
        store.overtake = True
        await client.messages.create(model="bing-creative", max_tokens=50, messages=history)
    # not a turn of the conversation that moved on: a new one, the history folded into it
    assert [a.conversation_id for a in backend.asked] == ["fake-1", "fake-2"]
    assert backend.asked[1].context is not None and "one" in backend.asked[1].context


async def test_stop_sequences_and_max_tokens_are_stop_reasons() -> None:
    long: list[Step] = [TextDelta("one two three four five six"), Final("")]
    async with api(FakeBackend(long, long)) as http:
        client = anthropic_client(http)
        user: Any = [{"role": "user", "content": "Hi"}]
        stopped = await client.messages.create(
            model="bing-creative", max_tokens=100, stop_sequences=["three"], messages=user
        )
        limited = await client.messages.create(model="bing-creative", max_tokens=2, messages=user)
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "three")
    assert limited.stop_reason == "max_tokens"


@pytest.mark.parametrize(
    ("stops", "message"),
    [
        (["a"] * 5, "At most 4 stop sequences are accepted."),
        (["x" * 1001], "A stop sequence may be at most 1000 characters long."),
    ],
)
async def test_too_many_or_too_long_stop_sequences_name_stop_sequences(
    client: httpx.AsyncClient, stops: list[str], message: str
) -> None:
    user = [{"role": "user", "content": "Hi"}]
    body = {"model": "bing-creative", "max_tokens": 10, "messages": user, "stop_sequences": stops}
    response = await client.post("/v1/messages", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == f"stop_sequences: {message}"


async def test_count_tokens_is_the_estimate_the_usage_gives(client: httpx.AsyncClient) -> None:
    anthropic_api = anthropic_client(client)
    user: Any = [{"role": "user", "content": "Hi there, how are you?"}]
    counted = await anthropic_api.messages.count_tokens(model="bing-creative", messages=user)
    message = await anthropic_api.messages.create(
        model="bing-creative", max_tokens=10, messages=user
    )
    assert counted.input_tokens == message.usage.input_tokens > 0


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"max_tokens": None}, 400, "invalid_request_error"),
        ({"tools": [{"name": "f", "input_schema": {}}]}, 400, "invalid_request_error"),
        ({"model": "claude-nope"}, 404, "not_found_error"),
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, 400, "invalid_request_error"),
    ],
)
async def test_messages_errors_are_in_anthropics_shape(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, kind: str
) -> None:
    request = {
        "model": "bing-creative",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "Hi"}],
        **body,
    }
    response = await client.post("/v1/messages", json={k: v for k, v in request.items() if v})
    assert response.status_code == status
    assert response.json()["type"] == "error" and response.json()["error"]["type"] == kind


async def test_an_upstream_failure_mid_stream_is_an_anthropic_error_event() -> None:
    async with api(FakeBackend(FAILING)) as http:
        with pytest.raises(anthropic.APIStatusError) as failed:
            async with anthropic_client(http).messages.stream(
                model="bing-creative", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
            ) as stream:
                async for _ in stream.text_stream:
                    pass
    assert failed.value.body["error"]["type"] == "api_error"  # type: ignore[index]


async def test_an_upstream_failure_before_the_answer_is_an_anthropic_error() -> None:
    turn: list[Step] = [errors.RateLimited("throttled", retry_after=3)]
    async with api(FakeBackend(turn)) as http:
        with pytest.raises(anthropic.RateLimitError) as failed:
            await (
                anthropic_client(http)
                .with_options(max_retries=0)
                .messages.create(
                    model="bing-creative",
                    max_tokens=10,
                    messages=[{"role": "user", "content": "Hi"}],
                )
            )
    assert failed.value.response.headers["retry-after"] == "3"


async def test_the_api_key_may_come_as_x_api_key() -> None:
    settings = ApiSettings(api_key="sekrit")
    async with api(FakeBackend(), settings) as http:
        good = (
            await anthropic_client(http)
            .with_options(api_key="sekrit")
            .messages.create(
                model="bing-creative", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
            )
        )
        bad = await http.post("/v1/messages", headers={"x-api-key": "wrong"}, json={})
    assert good.content[0].text == "Echo: Hi"  # type: ignore[union-attr]
    assert bad.status_code == 401 and bad.json()["error"]["type"] == "authentication_error"


async def test_an_image_block_reaches_the_backend() -> None:
    backend = FakeBackend()
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    async with api(backend, M365) as http:
        await anthropic_client(http).messages.create(
            model="m365-copilot",
            max_tokens=10,
            messages=[{"role": "user", "content": [block, {"type": "text", "text": "What?"}]}],
        )
    assert len(backend.asked[0].images) == 1


# --- Chat Completions as clients send it today -------------------------------------------


async def test_the_developer_role_is_a_system_message() -> None:
    backend = FakeBackend()
    async with api(backend) as http:
        response = await openai_client(http).chat.completions.create(
            model="bing-creative",
            messages=[
                {"role": "developer", "content": "Answer in French."},
                {"role": "user", "content": "Hi"},
            ],
        )
    assert response.choices[0].message.content == "Echo: Hi"
    assert "Answer in French." in (backend.asked[0].context or "")


async def test_max_completion_tokens_limits_the_answer() -> None:
    long: list[Step] = [TextDelta("one two three four five six"), Final("")]
    async with api(FakeBackend(long)) as http:
        response = await openai_client(http).chat.completions.create(
            model="bing-creative",
            messages=[{"role": "user", "content": "Hi"}],
            max_completion_tokens=2,
        )
    assert response.choices[0].finish_reason == "length"
    assert response.choices[0].message.content == "one two "


async def test_include_usage_adds_a_final_usage_chunk(client: httpx.AsyncClient) -> None:
    raw = await client.post(
        "/v1/chat/completions",
        json={
            "model": "bing-creative",
            "messages": [{"role": "user", "content": "Hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
            "seed": 7,
            "user": "someone",
            "metadata": {"a": "b"},
            "store": False,
            "parallel_tool_calls": False,
        },
    )
    data = [block.removeprefix("data: ") for block in raw.text.split("\n\n")[:-1]]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3  # "Hello there": 11 characters
    assert "".join(c["choices"][0]["delta"]["content"] or "" for c in chunks[:-1]) == "Hello there"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("response_format", {"type": "json_object"}),
        ("response_format", {"type": "json_schema", "json_schema": {"name": "x"}}),
        ("logprobs", True),
        ("logit_bias", {"42": 5}),
        ("modalities", ["text", "audio"]),
    ],
)
async def test_fields_that_would_change_the_answer_are_refused(
    client: httpx.AsyncClient, field: str, value: Any
) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "Hi"}], field: value},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == field


async def test_text_response_format_and_unknown_fields_are_accepted(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json={
            "messages": [{"role": "user", "content": "Hi"}],
            "response_format": {"type": "text"},
            "a_field_from_next_year": {"x": 1},
        },
    )
    assert response.status_code == 200


# --- The Chat API's options (g4f_search, g4f_files) in every shape ---------------------------

GRAPH = ApiSettings(Upstream("graph", options={"token": "t"}))
DOC = "https://contoso.sharepoint.com/sites/eng/Shared%20Documents/plan.docx"
OPTIONS = {"g4f_search": False, "g4f_files": [DOC]}
USER_HI = [{"role": "user", "content": "Hi"}]
BODIES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"messages": USER_HI},
    "/v1/responses": {"input": "Hi"},
    "/v1/messages": {"max_tokens": 50, "messages": USER_HI},
}


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/messages"])
@pytest.mark.parametrize("stream", [False, True])
async def test_web_grounding_and_documents_reach_the_backend_from_every_shape(
    path: str, stream: bool
) -> None:
    backend = FakeBackend()
    async with api(backend, GRAPH) as http:
        body = {**BODIES[path], **OPTIONS, "model": "graph-copilot", "stream": stream}
        response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    assert "Echo: Hi" in response.text
    assert backend.asked[0].search is False and backend.asked[0].files == (DOC,)


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/messages"])
async def test_grounding_stays_on_and_no_documents_go_when_not_asked(path: str) -> None:
    backend = FakeBackend()
    async with api(backend, GRAPH) as http:
        response = await http.post(path, json={**BODIES[path], "model": "graph-copilot"})
    assert response.status_code == 200
    assert backend.asked[0].search is True and backend.asked[0].files == ()


@pytest.mark.parametrize("path", list(BODIES))
@pytest.mark.parametrize(("field", "value"), [("g4f_search", False), ("g4f_files", [DOC])])
async def test_a_service_that_cannot_is_a_400_naming_the_field(
    path: str, field: str, value: Any
) -> None:
    backend = FakeBackend()
    async with api(backend, M365) as http:  # the Chathub's M365: no grounding switch, no files
        body = {**BODIES[path], "model": "m365-copilot", field: value}
        response = await http.post(path, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["message"]
    if path != "/v1/messages":  # Anthropic's errors have no param; OpenAI's name it
        assert error["param"] == field and error["code"] == "not_supported"
    assert backend.asked == []


@pytest.mark.parametrize("path", list(BODIES))
async def test_a_document_that_is_no_https_url_is_named_as_sent(path: str) -> None:
    async with api(FakeBackend(), GRAPH) as http:
        body = {**BODIES[path], "model": "graph-copilot", "g4f_files": ["file:///etc/x"]}
        response = await http.post(path, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "https:// URL" in error["message"]
    if path != "/v1/messages":
        assert error["param"] == "g4f_files[0]"


TWO_AT_MOST = ApiSettings(http=HttpLimits(max_messages=2))
THREE = [{"role": "user", "content": "Hi"}] * 3
OVER_THE_LIMIT: dict[str, tuple[dict[str, Any], str]] = {
    "/v1/chat/completions": ({"messages": THREE}, "messages"),
    "/v1/g4f/chat": ({"messages": THREE}, "messages"),
    "/v1/responses": ({"input": THREE}, "input"),
    "/v1/messages": ({"model": "bing-creative", "max_tokens": 50, "messages": THREE}, "messages"),
}


@pytest.mark.parametrize("path", list(OVER_THE_LIMIT))
async def test_more_messages_than_max_messages_are_a_400_in_every_shape(path: str) -> None:
    body, param = OVER_THE_LIMIT[path]
    backend = FakeBackend()
    async with api(backend, TWO_AT_MOST) as http:
        response = await http.post(path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    if path == "/v1/messages":  # Anthropic's errors have no param: the message names it
        assert error["message"] == "messages: At most 2 messages are accepted."
    else:
        assert (error["message"], error["param"]) == ("At most 2 messages are accepted.", param)
    assert backend.asked == []
