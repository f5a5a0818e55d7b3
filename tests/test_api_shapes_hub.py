"""The Responses and Messages shapes of ``g4f api`` for every service, through the hub: the
official ``openai`` and ``anthropic`` packages (and the OpenAI Agents SDK) against a real
server; ``previous_response_id`` across a restart of a real ``g4f api`` process."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from g4f.api import ApiThread
from g4f.hub import Hub, Reply, TurnRequest, echo_responder
from g4f.services.registry import entry

from .common import api_settings
from .test_api_store import ApiProcess

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SERVICES = ("bing", "m365", "graph", "workiq")
MODELS = {service: entry(service).default_model for service in SERVICES}
FAILING = {"bing": "abrupt", "m365": "close-error", "graph": "dropped", "workiq": "dropped"}
"""Each service's way of failing mid-answer: the Chat API's is a body cut short (it has no
error event)."""


def responder(request: TurnRequest) -> Reply:
    """Echoes; the prompt ``fail`` fails mid-answer in the service's way."""
    if request.prompt.startswith("fail "):
        return Reply(text="a b c d e f g h", scenario=request.prompt.split()[1])
    return echo_responder(request)


@pytest.fixture
def hub() -> Hub:
    return Hub(responder=responder)


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api_url(thread_hub: str, service: str) -> Iterator[str]:
    local = entry(service).local_options(thread_hub)  # the hub's URL and a token it accepts
    with ApiThread(api_settings(service=service, **local)) as url:
        yield url


def oai(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0)


def claude(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)


def test_responses_create_retrieve_delete(api_url: str, service: str) -> None:
    with oai(api_url) as client:
        first = client.responses.create(model=MODELS[service], input="I am Ada.")
        second = client.responses.create(
            model=MODELS[service], input="Who am I?", previous_response_id=first.id
        )
        kept = client.responses.retrieve(second.id)
        client.responses.delete(second.id)
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(second.id)
    assert first.status == "completed" and "«I am Ada.»" in first.output_text
    assert "turn 2" in second.output_text  # the same upstream conversation
    assert kept.output_text == second.output_text


def test_the_responses_stream_helper(api_url: str, service: str) -> None:
    with (
        oai(api_url) as client,
        client.responses.stream(model=MODELS[service], input="Hello") as stream,
    ):
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    assert "«Hello»" in final.output_text and final.usage is not None


def test_messages_create_stream_count_and_a_history(api_url: str, service: str) -> None:
    model = MODELS[service]
    with claude(api_url) as client:
        history: list[Any] = [{"role": "user", "content": "I am Ada."}]
        first = client.messages.create(model=model, max_tokens=500, messages=history)
        history += [
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": "Who am I?"},
        ]
        with client.messages.stream(model=model, max_tokens=500, messages=history) as stream:
            streamed = "".join(stream.text_stream)
            final = stream.get_final_message()
        counted = client.messages.count_tokens(model=model, messages=history)
    assert first.stop_reason == "end_turn" and "«I am Ada.»" in first.content[0].text  # type: ignore[union-attr]
    assert "turn 2" in streamed  # the history extended the first: its conversation continued
    assert final.content[0].text == streamed  # type: ignore[union-attr]
    assert counted.input_tokens > 0


@pytest.mark.parametrize("service", ["m365"])
def test_an_image_block_on_microsoft_365(api_url: str) -> None:
    block = {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(PNG).decode(),
        },
    }
    with claude(api_url) as client:
        message = client.messages.create(
            model="m365-copilot",
            max_tokens=500,
            messages=[{"role": "user", "content": [block, {"type": "text", "text": "What?"}]}],
        )
    assert f"png, {len(PNG)} bytes" in message.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize("service", ["bing"])
def test_bing_refuses_an_image_in_anthropics_shape(api_url: str) -> None:
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ""}}
    response = httpx.post(
        api_url + "/v1/messages",
        json={
            "model": "bing-creative",
            "max_tokens": 9,
            "messages": [{"role": "user", "content": [block]}],
        },
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_an_upstream_failure_mid_stream_in_each_shape(api_url: str, service: str) -> None:
    prompt = f"fail {FAILING[service]}"
    user = [{"role": "user", "content": prompt}]
    model = MODELS[service]
    with httpx.Client(base_url=api_url, timeout=60) as http:
        chat = http.post(
            "/v1/chat/completions", json={"model": model, "messages": user, "stream": True}
        ).text
        responses = http.post(
            "/v1/responses", json={"model": model, "input": prompt, "stream": True}
        ).text
        messages = http.post(
            "/v1/messages",
            json={"model": model, "max_tokens": 100, "messages": user, "stream": True},
        ).text
    assert "response.output_text.delta" in responses and "text_delta" in messages  # text first
    assert '"error"' in chat.split("\n\n")[-2] and "[DONE]" not in chat
    assert responses.split("\n\n")[-2].startswith("event: response.failed\n")
    assert '"status": "failed"' in responses
    last = messages.split("\n\n")[-2]
    assert last.startswith("event: error\n") and '"type": "error"' in last


DOC = "https://contoso.sharepoint.com/sites/eng/Shared%20Documents/plan.docx"


@pytest.mark.parametrize("service", ["graph"])
def test_grounding_and_documents_reach_the_chat_api_from_responses_and_messages(
    api_url: str, hub: Hub
) -> None:
    options = {"g4f_search": False, "g4f_files": [DOC]}
    with oai(api_url) as client:
        response = client.responses.create(model="graph-copilot", input="one", extra_body=options)
        by_responses = hub.chatapi.requests[-1]["body"]
        plain = client.responses.create(model="graph-copilot", input="two")
        by_default = hub.chatapi.requests[-1]["body"]
    with claude(api_url) as anthropic_client:
        message = anthropic_client.messages.create(
            model="graph-copilot",
            max_tokens=500,
            messages=[{"role": "user", "content": "three"}],
            extra_body=options,
        )
        by_messages = hub.chatapi.requests[-1]["body"]
    assert "«one»" in response.output_text and "«two»" in plain.output_text
    assert "«three»" in message.content[0].text  # type: ignore[union-attr]
    for body in (by_responses, by_messages):
        assert body["contextualResources"] == {
            "files": [{"uri": DOC}],
            "webContext": {"isWebEnabled": False},
        }
    assert "contextualResources" not in by_default  # grounding on, no documents: nothing sent


def test_previous_response_id_across_a_restart(thread_hub: str, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    first = ApiProcess("--url", thread_hub, "--store", store)
    try:
        with oai(first.url) as client:
            kept = client.responses.create(input="Remember 42.")
    finally:
        first.stop()
    second = ApiProcess("--url", thread_hub, "--store", store)
    try:
        with oai(second.url) as client:
            again = client.responses.retrieve(kept.id)
            answer = client.responses.create(input="What was it?", previous_response_id=kept.id)
    finally:
        second.stop()
    assert again.output_text == kept.output_text
    assert "you last said: «Remember 42.»" in answer.output_text and "turn 2" in answer.output_text


@pytest.mark.parametrize("service", ["bing"])
async def test_the_agents_sdk_runs_an_agent_without_tools(api_url: str) -> None:
    import agents

    agents.set_tracing_disabled(True)
    client = openai.AsyncOpenAI(base_url=api_url + "/v1", api_key="k", max_retries=0)
    try:
        model = agents.OpenAIResponsesModel(model="bing-creative", openai_client=client)
        agent = agents.Agent(name="Echo", instructions="Be brief.", model=model)
        result = await agents.Runner.run(agent, "Hello, agent")
    finally:
        await client.close()
    assert "«Hello, agent»" in str(result.final_output)
