"""The API server's edges: every error in OpenAI's shape, bounded headers and connections,
CORS with a key, docs only when asked, liveness and readiness, refused tools.

None needs a hub: what the app answers is checked in-process over a scripted backend; what
uvicorn's protocol does (header limits, connection limits, keep-alive) on a real server over
one, and readiness against a port nobody listens on with the real Bing backend."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from g4f.api import ApiSettings, ApiThread, HttpLimits, StoreSettings, Upstream
from g4f.client import NO_RETRY
from g4f.engine.fake import FakeBackend
from g4f.protocol import TextDelta

from .asgi import api as in_process
from .common import api_settings

KEY = "test-key"
BODY = {"model": "gpt-4", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """The app over a scripted backend, in-process."""
    async with in_process(FakeBackend()) as client:
        yield client


def serving(settings: ApiSettings) -> ApiThread:
    """A real server with ``settings``, over a scripted backend."""
    return ApiThread(settings, backend=FakeBackend())


def openai_shaped(response: httpx.Response) -> dict[str, object]:
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (
            '{"model":"gpt-4","messages":[{"role":"user","content":"\\ud800"}]}',
            "messages[0].content",
        ),
        ('{"model":"gpt-\\udfff","messages":[{"role":"user","content":"Hi"}]}', "model"),
        (
            '{"messages":[{"role":"user","content":"Hi"}],"conversation_id":"\\ud800x"}',
            "conversation_id",
        ),
    ],
)
async def test_a_lone_surrogate_is_a_400_naming_the_field(
    api: httpx.AsyncClient, body: str, param: str
) -> None:
    response = await api.post(
        "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert openai_shaped(response)["param"] == param


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/responses", '{"model":"gpt-4","input":"\\ud800"}', "input"),
        (
            "/v1/messages",
            '{"model":"gpt-4","max_tokens":9,"messages":[{"role":"user","content":"\\udfff"}]}',
            None,  # Anthropic's errors name no field
        ),
        (
            "/v1/g4f/chat",
            '{"messages":[{"role":"user","content":"Hi \\ud800"}]}',
            "messages[0].content",
        ),
    ],
)
async def test_a_lone_surrogate_is_a_400_in_every_shape(
    api: httpx.AsyncClient, path: str, body: str, param: str | None
) -> None:
    response = await api.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "not valid Unicode (a lone surrogate)" in error["message"]
    if param is not None:
        assert error["param"] == param


@pytest.mark.parametrize("field", ["tools", "functions"])
async def test_tools_and_functions_are_refused_not_ignored(
    api: httpx.AsyncClient, field: str
) -> None:
    body = {**BODY, field: [{"type": "function", "function": {"name": "f"}}]}
    response = await api.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = openai_shaped(response)
    assert (error["param"], error["code"]) == (field, "not_supported")


async def test_unknown_routes_wrong_methods_and_bad_bodies_get_openai_errors(
    api: httpx.AsyncClient,
) -> None:
    nothing = await api.get("/v1/nothing")
    assert nothing.status_code == 404 and openai_shaped(nothing)["code"] == "not_found"
    wrong = await api.get("/v1/chat/completions")
    assert wrong.status_code == 405 and openai_shaped(wrong)["code"] == "method_not_allowed"
    headers = {"Content-Type": "application/json"}
    broken = await api.post("/v1/chat/completions", content=b"{not json", headers=headers)
    assert broken.status_code == 400
    assert openai_shaped(broken)["param"] is None
    latin = await api.post("/v1/chat/completions", content=b'{"a": "\xff"}', headers=headers)
    assert latin.status_code in (400, 422) and openai_shaped(latin)


def test_a_chunked_body_over_the_limit_is_413() -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 1024

    with serving(api_settings(max_body_bytes=16 * 1024)) as url:
        response = httpx.post(url + "/v1/chat/completions", content=chunks())
    assert response.status_code == 413 and openai_shaped(response)["code"] == "request_too_large"


def raw(url: str, data: bytes, *, wait: float = 10.0) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_a_huge_header_block_is_refused_with_431() -> None:
    with serving(api_settings(max_header_bytes=8 * 1024)) as url:
        answer = raw(
            url, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
        )
        assert httpx.get(url + "/health").status_code == 200  # the server serves on
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_headers_that_never_finish_are_cut_off_with_408() -> None:
    with serving(api_settings(header_timeout=0.3)) as url:
        answer = raw(url, b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and then nothing
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_connections_past_the_limit_get_503() -> None:
    with serving(api_settings(max_connections=2, header_timeout=30)) as url:
        host, port = url.removeprefix("http://").split(":")
        held = [socket.create_connection((host, int(port))) for _ in range(2)]
        try:
            for sock in held:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers not finished
            response = httpx.get(url + "/health")
        finally:
            for sock in held:
                sock.close()
    assert response.status_code == 503


async def test_cors_preflight_passes_the_key_and_answers_carry_cors_headers() -> None:
    origin = "https://example.com"
    settings = ApiSettings(api_key=KEY, cors_origins=(origin,))
    async with in_process(FakeBackend(), settings) as client:
        preflight = await client.options(
            "/v1/chat/completions",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        denied = await client.get("/v1/models", headers={"Origin": origin})
        lower = await client.get("/v1/models", headers={"Authorization": f"bearer {KEY}"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert denied.status_code == 401 and denied.headers["access-control-allow-origin"] == origin
    assert lower.status_code == 200  # the scheme is case-insensitive


async def test_docs_are_served_only_when_asked_and_behind_the_key() -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    async with in_process(FakeBackend(), ApiSettings(api_key=KEY)) as client:
        assert (await client.get("/docs")).status_code in (401, 404)
        assert (await client.get("/docs", headers=auth)).status_code == 404
        assert (await client.get("/health")).status_code == 200  # probes need no key
    async with in_process(FakeBackend(), ApiSettings(api_key=KEY, docs=True)) as client:
        assert (await client.get("/openapi.json")).status_code == 401
        assert (await client.get("/openapi.json", headers=auth)).status_code == 200


class CountedChecks(FakeBackend):
    """A backend that counts its readiness checks."""

    checks = 0

    async def check(self) -> None:
        self.checks += 1
        await super().check()


async def test_ready_checks_the_upstream_and_caches_the_answer() -> None:
    backend = CountedChecks()
    async with in_process(backend) as client:
        first = await client.get("/ready")
        second = await client.get("/ready")
    assert (first.status_code, first.json()) == (200, {"status": "ready"})
    assert second.status_code == 200 and backend.checks == 1  # the second was cached


async def test_ready_is_503_when_the_upstream_is_down(refused_address: str) -> None:
    upstream = Upstream(url=f"http://{refused_address}", retry=NO_RETRY)
    async with in_process(None, ApiSettings(upstream)) as client:  # the real Bing backend
        assert (await client.get("/health")).status_code == 200  # alive all the same
        response = await client.get("/ready")
    assert response.status_code == 503
    assert openai_shaped(response)["code"] == "connection_closed"


@pytest.mark.parametrize(("retry_after", "header"), [(float("inf"), None), (1e308, "3600")])
def test_an_absurd_upstream_retry_after_never_crashes_the_answer(
    retry_after: float, header: str | None
) -> None:
    from g4f import errors
    from g4f.api.errors import error_response

    response = error_response(errors.RateLimited("throttled", retry_after=retry_after))
    assert response.status_code == 429
    assert response.headers.get("Retry-After") == header


def test_an_idle_keep_alive_connection_is_closed() -> None:
    with serving(api_settings(keep_alive=1)) as url:
        request = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
        answer = raw(url, request)  # reads until the server closes the idle connection
    assert answer.startswith(b"HTTP/1.1 200 ") and b'{"status":"ok"}' in answer


class Broken(FakeBackend):
    """A backend with a bug: some text, then an exception no backend should raise."""

    async def ask(self, prompt: str, **options: Any) -> Any:  # type: ignore[override]
        yield TextDelta("Some text")
        raise RuntimeError("a bug")


async def test_an_internal_error_is_still_an_openai_error() -> None:
    async with in_process(Broken()) as client:
        plain = await client.post("/v1/chat/completions", json=BODY)
        streamed = await client.post("/v1/chat/completions", json={**BODY, "stream": True})
    assert plain.status_code == 500 and openai_shaped(plain)["code"] == "internal_error"
    last = streamed.text.strip().split("\n\n")[-1]
    assert json.loads(last.removeprefix("data: "))["error"]["code"] == "internal_error"
    assert "[DONE]" not in streamed.text and "a bug" not in plain.text
    assert "Some text" in streamed.text


# -- the settings ----------------------------------------------------------------------------


def test_the_upstream_takes_only_its_services_options() -> None:
    with pytest.raises(ValueError, match="the m365 service does not take cookies"):
        Upstream("m365", options={"cookies": "a=b"})
    with pytest.raises(ValueError, match="service must be one of bing, m365"):
        Upstream("nope")
    with pytest.raises(ValueError, match="no service takes cookie"):
        Upstream.of("bing", cookie="a=b")  # a typo is not dropped
    flags = {"cookies": "a=b", "token_file": None, "url": "http://127.0.0.1:1"}
    assert Upstream.of("m365", **flags).options == {}  # another service's option is dropped
    bing = Upstream.of("bing", **flags)
    assert (bing.url, bing.options) == ("http://127.0.0.1:1", {"cookies": "a=b"})
    assert "a=b" not in repr(ApiSettings(bing))  # credentials are never shown


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: HttpLimits(max_body_bytes=0), "max_body_bytes must be at least 1"),
        (lambda: HttpLimits(max_header_bytes=1000), "max_header_bytes must be at least 1024"),
        (lambda: HttpLimits(keep_alive=float("inf")), "keep_alive must be a positive number"),
        (lambda: StoreSettings(ttl=0), "ttl must be a positive number"),
        (lambda: StoreSettings(cap=0), "cap must be at least 1"),
        (lambda: Upstream(idle_websockets=0), "idle_websockets must be at least 1"),
        (lambda: ApiSettings(workers=0), "workers must be at least 1"),
        (lambda: ApiSettings(ready_cache=-1), "ready_cache must be a positive number"),
    ],
)
def test_settings_out_of_range_are_refused(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


async def test_the_upstream_builds_its_backend_through_the_registry() -> None:
    from g4f.client import BingClient, M365Client

    async with (
        Upstream(idle_websockets=3).backend() as bing,
        Upstream("m365", options={"token": "t"}).backend() as m365,
    ):
        assert isinstance(bing, BingClient) and bing.max_idle_connections == 3
        assert isinstance(m365, M365Client)


@pytest.mark.parametrize(
    ("path", "body", "error_of", "expected"),
    [
        pytest.param(
            "/v1/chat/completions",
            {**BODY, "stream": True},
            lambda last: json.loads(last.removeprefix("data: "))["error"]["code"],
            "internal_error",
            id="chat completions",
        ),
        pytest.param(
            "/v1/responses",
            {"model": "gpt-4", "input": "Hi", "stream": True},
            lambda last: json.loads(last.split("data: ", 1)[1])["response"]["error"]["code"],
            "server_error",
            id="responses",
        ),
        pytest.param(
            "/v1/messages",
            {"model": "gpt-4", "max_tokens": 100, "messages": BODY["messages"], "stream": True},
            lambda last: json.loads(last.split("data: ", 1)[1])["error"]["type"],
            "api_error",
            id="messages",
        ),
        pytest.param(
            "/v1/g4f/chat",
            {"messages": BODY["messages"]},
            lambda last: json.loads(last.split("data: ", 1)[1])["error"]["code"],
            "internal_error",
            id="events",
        ),
    ],
)
async def test_a_bug_midway_ends_every_stream_with_its_error_event_and_a_log_line(
    path: str,
    body: dict[str, Any],
    error_of: Callable[[str], str],
    expected: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with in_process(Broken()) as client:
        streamed = await client.post(path, json=body)
    assert streamed.status_code == 200  # the answer had begun
    assert "Some text" in streamed.text  # what came before the bug is kept
    last = streamed.text.strip().split("\n\n")[-1]
    assert error_of(last) == expected
    assert "a bug" not in streamed.text  # the details are in the log only
    logged = [r for r in caplog.records if r.getMessage().startswith("internal error while")]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "a bug" in str(logged[0].exc_info[1])
