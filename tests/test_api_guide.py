"""The API's answers that say what to do (issue 21, point 21): an unknown route lists what
exists and how to have /docs, a body not declared as JSON says it must be. (/docs behind a key
from a browser: the chat page's docs.js sends the key the page keeps, see test_ui.)"""

from __future__ import annotations

import pytest

from g4f.api import ApiSettings
from g4f.engine.fake import FakeBackend

from .asgi import api

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
