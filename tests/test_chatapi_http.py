"""The Chat API client's HTTP edges against loopback servers of the test's own: bodies that
arrive in pieces, redirects to another origin, the TLS context of a SOCKS connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from g4f.engine.retry import NO_RETRY
from g4f.errors import ProtocolError, RateLimited
from g4f.hub import Hub, running_hub
from g4f.hub.chatapi import make_chatapi_token
from g4f.services.bing import BingClient
from g4f.services.chatapi import ChatApiClient

from .proxies import socks5_proxy

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


async def test_a_socks_connection_to_https_uses_the_custom_trust_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Both engines' sessions (client_session): the hub's own CA is trusted through
    # $REQUESTS_CA_BUNDLE only, so a turn over TLS through SOCKS succeeds only if the trust
    # store reaches the proxy's connector.
    hub = Hub(tls=True)
    certificate = hub.make_certificate(tmp_path / "cert")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.ca))
    async with running_hub(hub) as url, socks5_proxy() as (proxy, stats):
        token = make_chatapi_token("graph")
        async with ChatApiClient(
            "graph", url=url + "/beta/copilot", token=token, proxy=proxy, retry=NO_RETRY
        ) as client:
            assert (await client.ask_text("Hi")).startswith("You said")
        async with BingClient(url=url, proxy=proxy, retry=NO_RETRY) as bing:
            assert (await bing.ask_text("Hi")).startswith("You said")
    assert url.startswith("https://") and stats.connections >= 2


def test_the_trust_store_is_loaded_once_per_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from g4f.engine.http import trust_store

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    default = trust_store()
    assert trust_store() is default  # not loaded again for the next session
    certificate = Hub(tls=True).make_certificate(tmp_path / "cert")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.ca))
    company = trust_store()
    assert company is not default and trust_store() is company
    assert any("g4f" in str(c.get("subject")) for c in company.get_ca_certs())
