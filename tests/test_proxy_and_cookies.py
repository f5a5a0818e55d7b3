"""The user's own credentials and proxies: where they go, and where they never appear."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from g4f import errors
from g4f.client import BingClient, Cookies
from g4f.hub import Hub
from g4f.urls import redact_url

from .proxies import http_proxy, socks5_proxy

SECRET = "S3CRET-COOKIE-VALUE"


@pytest.mark.parametrize("make_proxy", [http_proxy, socks5_proxy], ids=["http", "socks5"])
async def test_both_connections_go_through_the_proxy(hub: Hub, hub_url: str, make_proxy) -> None:  # type: ignore[no-untyped-def]
    async with make_proxy() as (proxy, stats), BingClient(url=hub_url, proxy=proxy) as client:
        answer = await client.ask_text("through a proxy")
    assert "through a proxy" in answer
    assert hub_url.removeprefix("http://") in stats.targets
    # A reused proxy connection carries the next request in absolute form.
    assert re.search(rb"GET ([a-z]+://[^/ ]+)?/turing/conversation/create ", stats.upstream)
    assert re.search(rb"GET ([a-z]+://[^/ ]+)?/sydney/ChatHub", stats.upstream)
    assert hub.create_requests == 1 and hub.websockets_opened == 1


def test_an_unsupported_proxy_is_refused_without_its_password() -> None:
    with pytest.raises(ValueError, match="unsupported proxy") as caught:
        BingClient(proxy="ftp://user:hunter2@proxy:21")
    assert "hunter2" not in str(caught.value)


def test_proxy_passwords_are_redacted_from_the_repr() -> None:
    client = BingClient(url="http://127.0.0.1:1", proxy="http://user:hunter2@127.0.0.1:3128")
    assert "hunter2" not in repr(client)
    assert redact_url("socks5://u:p@h:1080") == "socks5://<redacted>@h:1080"


def test_cookie_header_parses_and_never_shows_values() -> None:
    cookies = Cookies.from_header(f"_U={SECRET}; MUID=abc")
    assert cookies.header() == f"_U={SECRET}; MUID=abc"
    assert cookies.names == ["MUID", "_U"]
    assert SECRET not in repr(cookies) and SECRET not in str(cookies)


def test_cookie_header_without_pairs_is_refused() -> None:
    with pytest.raises(ValueError, match="name=value"):
        Cookies.from_header("just-a-token")


def test_cookie_extension_json_export_keeps_bing_cookies(tmp_path: Path) -> None:
    path = tmp_path / "cookies.json"
    path.write_text(
        '[{"domain": ".bing.com", "name": "_U", "value": "%s"},'
        ' {"domain": "www.bing.com", "name": "SRCHD", "value": "AF=NOFORM"},'
        ' {"domain": ".example.com", "name": "other", "value": "x"}]'.replace("%s", SECRET),
        encoding="utf-8",
    )
    assert Cookies.from_file(path) == Cookies({"_U": SECRET, "SRCHD": "AF=NOFORM"})


def test_netscape_cookies_txt_keeps_bing_cookies(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(
        "# Netscape HTTP Cookie File\n"
        f".bing.com\tTRUE\t/\tTRUE\t1999999999\t_U\t{SECRET}\n"
        "#HttpOnly_.bing.com\tTRUE\t/\tTRUE\t1999999999\tMUID\tabc\n"
        ".example.com\tTRUE\t/\tFALSE\t1999999999\tother\tx\n",
        encoding="utf-8",
    )
    assert Cookies.from_file(path) == Cookies({"_U": SECRET, "MUID": "abc"})


@pytest.mark.parametrize("content", ["[]", "{not json", "a\tb\n"])
def test_a_cookie_file_without_bing_cookies_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cookies"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        Cookies.from_file(path)


async def test_cookies_reach_the_server_from_the_environment(
    hub: Hub, hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BING_COOKIES", f"_U={SECRET}")
    async with BingClient(url=hub_url) as client:
        await client.create_conversation()
    assert list(hub.create_cookie_names) == [["_U"]]


@pytest.mark.parametrize("shape", ["body", "headers"])
async def test_no_credential_appears_in_logs_reprs_or_errors(
    hub: Hub, hub_url: str, caplog: pytest.LogCaptureFixture, tmp_path: Path, shape: str
) -> None:
    hub.create_shape = shape
    caplog.set_level(logging.DEBUG)
    proxy_password = "PROXY-PASSWORD"
    texts: list[str] = []
    async with http_proxy() as (proxy, _):
        authed_proxy = proxy.replace("http://", f"http://user:{proxy_password}@")
        client = BingClient(
            url=hub_url, cookies=f"_U={SECRET}", proxy=authed_proxy, record=tmp_path / "c.jsonl"
        )
        async with client:
            conversation = await client.create_conversation()
            texts += [repr(client), repr(conversation), str(conversation)]
            for scenario in (
                "fail:UnauthorizedRequest",
                "fail:CaptchaChallenge",
                "malformed",
                "close",
            ):
                hub.scenario = scenario
                with pytest.raises(errors.G4FError) as caught:
                    await client.ask_text("Hi")
                texts += [str(caught.value), repr(caught.value), str(caught.value.args)]
            hub.scenario = "create-unauthorized"
            with pytest.raises(errors.NotAuthorized) as caught:
                await client.create_conversation()
            texts += [str(caught.value), repr(caught.value)]
    texts.append(caplog.text)
    texts.append((tmp_path / "c.jsonl").read_text(encoding="utf-8"))
    secrets = [SECRET, proxy_password, conversation.signature]
    if shape == "headers":
        secrets.append(conversation.encrypted_signature)
    for secret in secrets:
        assert secret
        assert not any(secret in text for text in texts), secret
