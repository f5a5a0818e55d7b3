"""``g4f login --browser``: MSAL's loopback-redirect sign-in (``acquire_token_interactive``)
with the real msal package against the hub's identity platform over HTTPS (the hub makes the
certificate, the tests trust it through REQUESTS_CA_BUNDLE), as a real process.

The browser is no browser and drives no login page: ``BROWSER`` names a small program
(tests/loopback_browser.py) that Python's ``webbrowser`` module starts with MSAL's authorize URL;
it fetches it, and submits the form the hub — approving at once, as a test double — answers
with to MSAL's listener on ``http://localhost``. No patching: ``BROWSER`` is webbrowser's own
seam. Also the hub's authorization-code endpoints alone: PKCE, a code used once, loopback only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import stat
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import msal  # noqa: F401  (in the test extra: missing, these tests fail, never skip)
import requests

from g4f.hub import Hub
from g4f.services.chatapi import ChatApiClient
from g4f.services.chatapi.signin import signed_in

from .test_cli import g4f

CLIENT_ID = "3f9d2c1e-7a4b-4e8f-9c2d-6b1a0e5f4d37"  # the user's own app registration (made up)
TENANT = "contoso.example"
SCOPE = "https://graph.microsoft.com/Chat.Read openid offline_access"


def _browser(tmp_path: Path) -> dict[str, str]:
    """The environment that makes ``webbrowser`` run the stand-in browser."""
    program = tmp_path / "test-browser"
    source = (Path(__file__).parent / "loopback_browser.py").read_text(encoding="utf-8")
    program.write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
    program.chmod(0o755)
    return {"BROWSER": str(program), "G4F_TEST_BROWSER_LOG": str(tmp_path / "browser.log")}


def _visits(tmp_path: Path) -> list[dict[str, object]]:
    """What the stand-in browser did, once it has written it (it runs in the background)."""
    log, deadline = tmp_path / "browser.log", time.monotonic() + 30  # generous: no timing
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    errors = tmp_path / "browser.log.stderr"
    assert log.exists(), errors.read_text() if errors.exists() else "the browser did not run"
    return [json.loads(line) for line in log.read_text().splitlines()]


def _login(url: str, env: dict[str, str]) -> tuple[int, str]:
    result = g4f("login", "--service", "graph", "--client-id", CLIENT_ID, "--tenant", TENANT,
                 "--authority", f"{url}/{TENANT}", "--browser", env=env)  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def _secrets(cache: Path) -> list[str]:
    """Every token and refresh token in MSAL's cache file."""
    data = json.loads(cache.read_text())
    kinds = ("AccessToken", "RefreshToken", "IdToken")
    return [str(item["secret"]) for kind in kinds for item in data.get(kind, {}).values()]


def test_browser_sign_in_then_chat(tls_hub: tuple[Hub, str], tmp_path: Path) -> None:
    hub, url = tls_hub
    code, printed = _login(url, _browser(tmp_path))
    assert code == 0, printed
    assert "Opening a browser" in printed
    assert "Signed in to graph as adele@contoso.example" in printed
    assert "a file readable by you only" in printed
    assert hub.chatapi.identity.authcodes.authorized == 1
    assert list(hub.chatapi.identity.grants) == ["authorization_code"]
    visits = _visits(tmp_path)
    assert visits[0] == {"url": f"{url}/{TENANT}/oauth2/v2.0/authorize", "status": 200}
    assert visits[1]["method"] == "POST" and visits[1]["status"] == 200
    assert str(visits[1]["url"]).startswith("http://localhost:")  # MSAL's loopback listener
    assert "Authentication complete" in str(visits[1]["body"])

    state = tmp_path / "state"
    cache = state / "token-cache-graph.bin"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    secrets = _secrets(cache)
    assert len(secrets) == 3 and not [s for s in secrets if s in printed]  # nothing printed
    assert "eyJ" not in printed

    accounts = json.loads(cache.read_text())["Account"].values()
    assert [a["username"] for a in accounts] == ["adele@contoso.example"]
    provider = signed_in("graph")
    assert provider is not None
    try:
        assert provider.token() in secrets  # the signed-in account's token, from the cache
    finally:
        provider.close()

    async def chat() -> str:
        async with ChatApiClient("graph", url=url + "/beta/copilot") as client:
            return await client.ask_text("Hi after a browser sign-in")

    assert asyncio.run(chat()).startswith("You said: «Hi after a browser sign-in»")


def test_a_declined_browser_sign_in_exits_5_saying_what_to_do(
    tls_hub: tuple[Hub, str], tmp_path: Path
) -> None:
    hub, url = tls_hub
    hub.chatapi.identity.authcodes.outcome = "decline"
    code, printed = _login(url, _browser(tmp_path))
    assert code == 5, printed
    assert "declined in the browser" in printed and "NotAuthorized" in printed
    assert signed_in("graph") is None
    assert list(hub.chatapi.identity.grants) == []  # no code, so no token request


# --- the hub's authorization-code endpoints alone ----------------------------------------------


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(url: str, redirect_uri: str, **more: str) -> requests.Response:
    params = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect_uri,
              "scope": SCOPE, "state": "s-1", "code_challenge": _challenge("v" * 43),
              "code_challenge_method": "S256", **more}  # fmt: skip
    return requests.get(f"{url}/{TENANT}/oauth2/v2.0/authorize", params=params,
                        allow_redirects=False, timeout=30)  # fmt: skip


def _redeem(url: str, code: str, verifier: str, redirect_uri: str) -> requests.Response:
    form = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code,
            "redirect_uri": redirect_uri, "code_verifier": verifier, "scope": SCOPE}  # fmt: skip
    return requests.post(f"{url}/{TENANT}/oauth2/v2.0/token", data=form, timeout=30)


def test_the_code_comes_back_in_the_query_and_pkce_is_checked(tls_hub: tuple[Hub, str]) -> None:
    _, url = tls_hub
    redirect = "http://localhost:54321"
    answer = _authorize(url, redirect)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == redirect
    query = parse_qs(location.query)
    assert query["state"] == ["s-1"] and query["code"][0]
    wrong = _redeem(url, query["code"][0], "w" * 43, redirect)
    assert wrong.status_code == 400 and "AADSTS501481" in wrong.json()["error_description"]
    again = _redeem(url, query["code"][0], "v" * 43, redirect)  # a code is good once
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    fresh = parse_qs(urlsplit(_authorize(url, redirect).headers["Location"]).query)["code"][0]
    tokens = _redeem(url, fresh, "v" * 43, redirect)
    assert tokens.status_code == 200 and tokens.json()["refresh_token"]


def test_only_a_loopback_redirect_uri_is_sent_the_code(tls_hub: tuple[Hub, str]) -> None:
    _, url = tls_hub
    for redirect in ("https://attacker.example/cb", "http://192.0.2.7:8400"):
        answer = _authorize(url, redirect)
        assert answer.status_code == 400 and "Location" not in answer.headers
    plain = _authorize(url, "http://127.0.0.1:8400", code_challenge_method="plain")
    assert parse_qs(urlsplit(plain.headers["Location"]).query)["error"] == ["invalid_request"]
