"""The Chat API client's HTTP edges against loopback servers of the test's own: bodies that
arrive in pieces, redirects to another origin, the TLS context of a SOCKS connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from g4f.engine.retry import NO_RETRY
from g4f.errors import ProtocolError, RateLimited
from g4f.services.chatapi import ChatApiClient
from g4f.services.chatapi import client as client_module

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def _serve(handler: Handler) -> AsyncIterator[tuple[str, list[str]]]:
    seen: list[str] = []

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append(request.path)
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def _in_two_pieces(request: web.Request, status: int, body: bytes) -> web.StreamResponse:
    """``body`` written in two pieces, each write drained (the pause only makes the split
    visible to the client; the assertions hold either way)."""
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    half = len(body) // 2
    await response.write(body[:half])
    await asyncio.sleep(0.2)
    await response.write(body[half:])
    await response.write_eof()
    return response


def _client(url: str) -> ChatApiClient:
    return ChatApiClient("graph", url=url, token="t0ken-of-the-test", retry=NO_RETRY)


async def test_a_body_in_two_pieces_is_read_whole() -> None:
    created = json.dumps({"id": "conv-1", "pad": "x" * 4000}).encode()
    error = json.dumps({"error": {"code": "TooManyRequests", "message": "m" * 3000 + " END"}})

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/conversations"):
            return await _in_two_pieces(request, 201, created)
        return await _in_two_pieces(request, 429, error.encode())

    async with _serve(handler) as (url, _):
        async with _client(url) as client:
            conversation = await client.start_conversation()
            assert conversation.conversation_id == "conv-1"
            with pytest.raises(RateLimited) as caught:
                await client.ask_text("Hi", conversation=conversation)
        assert caught.value.message.startswith("127.0.0.1")
        assert "TooManyRequests" not in str(caught.value)  # Graph's shape was read, not shown raw
        assert "m" * 100 in str(caught.value)


async def test_a_redirect_to_another_origin_is_not_followed() -> None:
    async def elsewhere(request: web.Request) -> web.StreamResponse:
        return web.json_response({"id": "stolen"}, status=201)

    async with _serve(elsewhere) as (other, other_seen):

        async def redirect(request: web.Request) -> web.StreamResponse:
            raise web.HTTPTemporaryRedirect(other + request.path)

        async with _serve(redirect) as (url, seen):
            async with _client(url) as client:
                with pytest.raises(ProtocolError, match="redirected the request to http://127"):
                    await client.start_conversation()
            assert seen == ["/conversations"]
        assert other_seen == []


def test_a_socks_connection_uses_the_custom_trust_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passed: dict[str, object] = {}

    def fake_socks_connector(proxy: str, **options: object) -> None:
        passed.update(options)

    monkeypatch.setattr(client_module, "socks_connector", fake_socks_connector)
    client = ChatApiClient("graph", token="t", proxy="socks5://127.0.0.1:9")

    async def build() -> None:
        client._get_session()
        await client.aclose()

    asyncio.run(build())
    assert isinstance(passed.get("ssl"), ssl.SSLContext)
