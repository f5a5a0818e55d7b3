"""The API's routes over a scripted backend, in-process: no hub, no server, no socket.

What crosses the wire to a real service is checked against the hub in ``test_api.py``; here,
what the routes make of the events a backend yields.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

import httpx
import pytest

from g4f import errors
from g4f.api import ApiSettings, StoreSettings, Upstream, create_app
from g4f.engine.fake import FakeBackend, Step
from g4f.protocol import Final, Retraction, TextDelta
from g4f.services.registry import REGISTRY

from .asgi import api, leave_while_streaming, lifespan

HELLO: list[Step] = [TextDelta("Hel"), TextDelta("lo there"), Final("Hello there")]
USER = [{"role": "user", "content": "Hi"}]


def chunks(response: httpx.Response) -> list[Any]:
    """The SSE events of ``response``: JSON objects, and ``"[DONE]"``."""
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-1] == ""
    data = [e.removeprefix("data: ") for e in events[:-1]]
    return [d if d == "[DONE]" else json.loads(d) for d in data]


def text_of(events: list[Any]) -> str:
    return "".join(
        e["choices"][0]["delta"]["content"] or ""
        for e in events
        if isinstance(e, dict) and "choices" in e
    )


async def post(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/v1/chat/completions", json={"messages": USER, **body})


async def test_a_completion_is_the_backends_answer() -> None:
    backend = FakeBackend(HELLO)
    async with api(backend) as client:
        response = await post(client, model="bing-creative")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "bing-creative"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Hello there"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["conversation_id"] == "fake-1"
    assert [(a.prompt, a.style) for a in backend.asked] == [("Hi", "creative")]
    assert backend.closed  # the app's lifespan closed its backend


async def test_a_streamed_completion_is_role_content_finish_and_done() -> None:
    async with api(FakeBackend(HELLO)) as client:
        response = await post(client, stream=True)
    assert response.status_code == 200
    events = chunks(response)
    assert events[-1] == "[DONE]"
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [e["choices"][0]["finish_reason"] for e in events[:-1]] == [None, None, None, "stop"]
    assert text_of(events) == "Hello there"
    assert len({e["id"] for e in events[:-1]}) == 1


@pytest.mark.parametrize("stream", [False, True])
async def test_max_tokens_and_stop_end_with_length(stream: bool) -> None:
    turns = [[TextDelta("one two three four five six seven"), Final("")]] * 2
    async with api(FakeBackend(*turns)) as client:
        limited = await post(client, stream=stream, max_tokens=2)
        stopped = await post(client, stream=stream, stop=["three"])
    for response, text in ((limited, "one two "), (stopped, "one two ")):
        if stream:
            events = chunks(response)
            assert text_of(events) == text
            assert events[-2]["choices"][0]["finish_reason"] == "length"
        else:
            choice = response.json()["choices"][0]
            assert (choice["message"]["content"], choice["finish_reason"]) == (text, "length")


@pytest.mark.parametrize(
    "turn",
    [
        [TextDelta("Sure: "), Retraction("Sure: ", "Sorry, let's change the topic.")],
        [TextDelta("Sure: "), errors.Refused("declined")],
    ],
    ids=["retraction", "refusal"],
)
async def test_a_retraction_or_a_refusal_is_a_content_filter(turn: list[Step]) -> None:
    async with api(FakeBackend(turn, turn)) as client:
        plain = await post(client)
        streamed = await post(client, stream=True)
    assert plain.status_code == 200
    assert plain.json()["choices"][0]["finish_reason"] == "content_filter"
    events = chunks(streamed)
    assert events[-1] == "[DONE]" and text_of(events) == "Sure: "
    assert events[-2]["choices"][0]["finish_reason"] == "content_filter"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.RateLimited("throttled", retry_after=7), 429, "upstream_rate_limited"),
        (errors.ConnectionClosed("closed the conversation"), 502, "connection_closed"),
        (errors.TurnTimeout("no answer"), 504, "upstream_timeout"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
async def test_an_upstream_error_before_any_text_is_a_status(
    error: errors.G4FError, status: int, code: str, stream: bool
) -> None:
    async with api(FakeBackend([error])) as client:
        response = await post(client, stream=stream)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == {
        "message": str(error),
        "type": error.openai_type,
        "param": None,
        "code": code,
    }
    assert response.headers.get("Retry-After") == ("7" if status == 429 else None)


async def test_an_upstream_error_after_the_first_chunk_ends_the_stream_with_an_event() -> None:
    closed = errors.ConnectionClosed("closed mid-answer")
    turn: list[Step] = [TextDelta("Half"), closed]
    async with api(FakeBackend(turn)) as client:
        response = await post(client, stream=True)
    assert response.status_code == 200
    events = chunks(response)
    assert "[DONE]" not in events and text_of(events) == "Half"
    assert events[-1] == {
        "error": {
            "message": str(closed),
            "type": "upstream_error",
            "param": None,
            "code": "connection_closed",
            "status": 502,
        }
    }


async def test_ready_reports_the_backends_check() -> None:
    async with api(FakeBackend()) as client:
        ready = await client.get("/ready")
    refused = errors.ConnectError("cannot connect to the upstream")
    down = FakeBackend(check_error=refused)
    async with api(down) as client:
        not_ready = await client.get("/ready")
        alive = await client.get("/health")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert not_ready.status_code == 503
    assert not_ready.json()["error"] == {
        "message": f"The upstream is not ready: {refused}",
        "type": "upstream_error",
        "param": None,
        "code": "connection_closed",
    }
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize("service", list(REGISTRY))
async def test_models_are_the_services_in_the_registry(service: str) -> None:
    listed = [m.id for m in REGISTRY[service].models]
    settings = ApiSettings(Upstream(service))
    async with api(FakeBackend(), settings) as client:
        models = (await client.get("/v1/models")).json()
        first = await client.get(f"/v1/models/{listed[0]}")
        unknown = await client.get("/v1/models/gpt-5")
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == listed
    assert first.json() == {
        "id": listed[0],
        "object": "model",
        "created": 0,
        "owned_by": "g4f-bing",
    }
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"


async def test_a_conversation_id_continues_the_stored_conversation() -> None:
    backend = FakeBackend(HELLO, HELLO)
    async with api(backend) as client:
        first = (await post(client)).json()
        second = await post(client, conversation_id=first["conversation_id"])
        unknown = await post(client, conversation_id="nothing-like-it")
    assert second.status_code == 200 and second.json()["conversation_id"] == "fake-1"
    assert [a.conversation_id for a in backend.asked] == ["fake-1", "fake-1"]
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "conversation_not_found"


async def test_a_conversation_of_another_service_is_not_found(tmp_path: Any) -> None:
    store = StoreSettings(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    async with api(FakeBackend(), ApiSettings(store=store)) as client:
        conversation_id = (await post(client)).json()["conversation_id"]
    m365 = ApiSettings(Upstream("m365", options={"token": "t"}), store=store)
    async with api(FakeBackend(), m365) as client:
        response = await post(client, conversation_id=conversation_id)
    assert response.status_code == 404


class Gate(asyncio.Event):
    """A scripted turn's gate that also says when the turn reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.reached.set()
        return await super().wait()


async def test_a_conversation_busy_with_a_turn_is_429() -> None:
    gate = Gate()
    backend = FakeBackend(HELLO, [gate, *HELLO])
    async with api(backend) as client:
        conversation_id = (await post(client)).json()["conversation_id"]
        running = asyncio.ensure_future(post(client, conversation_id=conversation_id))
        await gate.reached.wait()
        busy = await post(client, conversation_id=conversation_id)
        gate.set()
        done = await running
    assert busy.status_code == 429 and busy.json()["error"]["code"] == "conversation_busy"
    assert done.status_code == 200


async def test_a_client_that_leaves_a_stream_closes_the_turn_and_frees_the_conversation() -> None:
    never = asyncio.Event()
    backend = FakeBackend([TextDelta("Hel"), TextDelta("lo"), never, Final("Hello")], HELLO)
    app = create_app(backend=backend)
    async with lifespan(app):
        status, received = await leave_while_streaming(
            app, {"messages": USER, "stream": True}, lambda body: b'"lo"' in body
        )
        assert status == 200 and b"[DONE]" not in received
        assert backend.stopped == 1  # the turn was closed, not left waiting
        conversation_id = backend.asked[0].conversation_id
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
            base_url="http://api.test",
        ) as client:
            again = await post(client, conversation_id=conversation_id)
    assert again.status_code == 200  # its lease was given back
