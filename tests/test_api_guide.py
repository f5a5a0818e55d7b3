"""The API's answers that say what to do (issue 21, point 21): an unknown route lists what
exists, a body not declared as JSON says it must be, and /docs opens from a browser behind a
key (``?key=`` once, then an HttpOnly cookie for the docs pages only)."""

from __future__ import annotations

import pytest

from g4f.api import ApiSettings
from g4f.engine.fake import FakeBackend

from .asgi import api

KEY = "sk-test-key"
BODY = b'{"messages": [{"role": "user", "content": "Hi"}]}'


@pytest.mark.parametrize("docs", [False, True])
async def test_an_unknown_route_lists_what_exists(docs: bool) -> None:
    async with api(FakeBackend(), ApiSettings(docs=docs)) as client:
        response = await client.get("/v1/chat/completion")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    message = error["message"]
    assert message.startswith("No route GET /v1/chat/completion. The API serves: ")
    for route in ("POST /v1/chat/completions", "GET /v1/models", "GET /health"):
        assert route in message
    assert ("`g4f api --docs`" in message) is not docs


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_not_declared_as_json_says_it_must_be(content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    async with api(FakeBackend()) as client:
        response = await client.post("/v1/chat/completions", content=BODY, headers=headers)
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert error["message"].startswith(
        "The body must be JSON, sent with Content-Type: application/json"
    )
    assert (content_type or "no Content-Type") in error["message"]


async def test_json_bodies_still_answer() -> None:
    async with api(FakeBackend()) as client:
        response = await client.post(
            "/v1/chat/completions", content=BODY, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200


async def test_docs_open_from_a_browser_with_the_key_once() -> None:
    settings = ApiSettings(docs=True, api_key=KEY)
    async with api(FakeBackend(), settings) as client:
        assert (await client.get("/docs")).status_code == 401
        assert (await client.get("/docs?key=wrong")).status_code == 401
        given = await client.get(f"/docs?key={KEY}")
        assert given.status_code == 303 and given.headers["location"] == "/docs"
        cookie = given.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and KEY not in cookie
        docs = await client.get("/docs")  # the client kept the cookie, as a browser does
        schema = await client.get("/openapi.json")
        api_call = await client.get("/v1/models")  # the cookie opens the docs only
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "g4f-bing"
    assert api_call.status_code == 401
