"""The API's routes over a scripted backend, in-process: no hub, no server, no socket.

What crosses the wire to a real service is checked against the hub in ``test_api.py``; here,
what the routes make of the events a backend yields.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import openai
import pytest

from g4f import errors
from g4f.api import ApiSettings, HttpLimits, StoreSettings, Upstream, create_app
from g4f.engine.fake import FakeBackend, Step
from g4f.protocol import Final, Retraction, Style, TextDelta
from g4f.services.registry import REGISTRY

from .asgi import Gate, api, leave_while_streaming, lifespan

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
        (errors.Busy("processing another message"), 429, "upstream_rate_limited"),
        (errors.ChallengeRequired("solve a captcha"), 502, "challenge_required"),
        (errors.AccessDenied("forbidden", status=403), 502, "access_denied"),
        (errors.ServerError("internal", status=500), 502, "server_error"),
        (errors.ProtocolError("not a record"), 502, "protocol_error"),
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
        "type": "rate_limit_error" if status == 429 else "upstream_error",
        "param": None,
        "code": code,
    }
    assert response.headers.get("Retry-After") == ("7" if error.retry_after else None)


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


# -- through the openai package --------------------------------------------------------------


def oai(client: httpx.AsyncClient, api_key: str = "unused") -> openai.AsyncOpenAI:
    """The official async client over ``client`` (the app in-process)."""
    return openai.AsyncOpenAI(
        base_url=str(client.base_url.join("/v1")),
        api_key=api_key,
        max_retries=0,
        http_client=client,
    )


async def settle() -> None:
    """Let the loop finish closing the openai package's nested response generators (it leaves
    them to the garbage collector, and each closes the next one loop iteration later)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_the_openai_package_reads_answers_whole_and_streamed() -> None:
    async with api(FakeBackend(HELLO, HELLO)) as client:
        completion = await oai(client).chat.completions.create(model="gpt-4", messages=USER)  # type: ignore[arg-type]
        stream = await oai(client).chat.completions.create(
            model="gpt-4",
            messages=USER,  # type: ignore[arg-type]
            stream=True,
        )
        async with stream:
            pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
    await settle()
    assert completion.choices[0].message.content == "Hello there"
    assert completion.usage is not None and completion.usage.completion_tokens == 3
    assert "".join(pieces) == "Hello there"


async def test_the_openai_package_lists_and_finds_models() -> None:
    async with api(FakeBackend()) as client:
        listed = [m.id async for m in oai(client).models.list()]
        found = await oai(client).models.retrieve("bing-creative")
        with pytest.raises(openai.NotFoundError):
            await oai(client).models.retrieve("gpt-5")
        with pytest.raises(openai.NotFoundError) as caught:
            await oai(client).chat.completions.create(model="gpt-5", messages=USER)  # type: ignore[arg-type]
    assert listed == ["gpt-4", "bing-creative", "bing-balanced", "bing-precise"]
    assert found.owned_by == "g4f-bing"
    assert caught.value.code == "model_not_found"


async def test_the_openai_package_raises_an_error_event_that_ends_a_stream() -> None:
    turn: list[Step] = [TextDelta("Half"), errors.ConnectionClosed("closed the conversation")]
    received = []
    async with api(FakeBackend(turn)) as client:
        stream = await oai(client).chat.completions.create(
            model="gpt-4",
            messages=USER,  # type: ignore[arg-type]
            stream=True,
        )
        with pytest.raises(openai.APIError, match="closed the conversation"):
            async with stream:
                async for chunk in stream:
                    received.append(chunk.choices[0].delta.content or "")
    await settle()
    assert "".join(received) == "Half"


async def test_a_wrong_api_key_is_401_and_the_probes_need_none() -> None:
    async with api(FakeBackend(), ApiSettings(api_key="right-key")) as client:
        with pytest.raises(openai.AuthenticationError):
            await oai(client, "wrong-key").chat.completions.create(model="gpt-4", messages=USER)  # type: ignore[arg-type]
        good = await oai(client, "right-key").chat.completions.create(
            model="gpt-4",
            messages=USER,  # type: ignore[arg-type]
        )
        health = await client.get("/health")
    assert good.choices[0].message.content == "Echo: Hi"
    assert health.status_code == 200


# -- what the backend is asked ---------------------------------------------------------------


async def test_models_map_to_styles() -> None:
    backend = FakeBackend()
    async with api(backend) as client:
        for model in ("bing-creative", "bing-balanced", "bing-precise", "gpt-4"):
            assert (await post(client, model=model)).status_code == 200
    assert [a.style for a in backend.asked] == [
        Style.CREATIVE,
        Style.BALANCED,
        Style.PRECISE,
        Style.PRECISE,
    ]


async def test_temperature_top_p_user_and_a_callers_upstream_are_ignored() -> None:
    backend = FakeBackend(HELLO)
    async with api(backend) as client:
        response = await post(
            client,
            temperature=0.2,
            top_p=0.9,
            user="u1",
            url="http://169.254.169.254",
            proxy="socks5://x:1",
        )
    assert response.json()["choices"][0]["message"]["content"] == "Hello there"
    assert [a.prompt for a in backend.asked] == ["Hi"]  # the configured backend served it


async def test_history_is_folded_into_the_context_and_text_parts_are_joined() -> None:
    backend = FakeBackend()
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}],
        },
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "How are you?"},
    ]
    async with api(backend) as client:
        response = await client.post("/v1/chat/completions", json={"messages": messages})
    assert response.json()["choices"][0]["message"]["content"] == "Echo: How are you?"
    (asked,) = backend.asked
    assert asked.prompt == "How are you?"
    assert asked.context is not None
    assert all(text in asked.context for text in ("Be brief.", "Hi there", "Hello!"))


async def test_a_continued_conversation_sends_no_context_again() -> None:
    backend = FakeBackend()
    history = [{"role": "user", "content": "Earlier"}, {"role": "assistant", "content": "Yes"}]
    async with api(backend) as client:
        first = await client.post("/v1/chat/completions", json={"messages": [*history, *USER]})
        await post(client, conversation_id=first.json()["conversation_id"])
    assert [a.context is not None for a in backend.asked] == [True, False]


# -- errors ----------------------------------------------------------------------------------


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"} and {"message", "type", "code"} <= set(body["error"])
    return body["error"]  # type: ignore[no-any-return]


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
async def test_bad_requests_get_openai_errors(
    body: dict[str, object], status: int, param: str
) -> None:
    backend = FakeBackend()
    async with api(backend) as client:
        response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == status
    error = error_of(response)
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert backend.asked == []  # refused before anything was asked


async def test_body_and_message_limits() -> None:
    settings = ApiSettings(http=HttpLimits(max_body_bytes=2000, max_messages=3))
    async with api(FakeBackend(), settings) as client:
        big = await client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x" * 5000}]}
        )
        many = await client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}] * 4}
        )
    assert big.status_code == 413 and error_of(big)["code"] == "request_too_large"
    assert many.status_code == 400 and error_of(many)["param"] == "messages"


async def test_no_cors_unless_configured() -> None:
    preflight = {"Origin": "https://example.com", "Access-Control-Request-Method": "POST"}
    async with api(FakeBackend()) as client:
        plain = await client.options("/v1/chat/completions", headers=preflight)
    settings = ApiSettings(cors_origins=("https://example.com",))
    async with api(FakeBackend(), settings) as client:
        allowed = await client.options("/v1/chat/completions", headers=preflight)
    assert "access-control-allow-origin" not in plain.headers
    assert allowed.headers["access-control-allow-origin"] == "https://example.com"


async def test_the_raw_sse_byte_format() -> None:
    async with api(FakeBackend(HELLO)) as client:
        response = await post(client, stream=True)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    raw = response.content
    assert raw.endswith(b"data: [DONE]\n\n")
    events = raw.split(b"\n\n")[:-1]
    assert all(e.startswith(b"data: ") and b"\n" not in e for e in events)
    parsed = [json.loads(e[6:]) for e in events[:-1]]
    assert parsed[0]["object"] == "chat.completion.chunk"
    assert parsed[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert parsed[-1]["choices"][0] == {
        "delta": {"content": None, "role": None},
        "finish_reason": "stop",
        "index": 0,
    }
    assert len({c["id"] for c in parsed}) == 1 and len({c["created"] for c in parsed}) == 1
