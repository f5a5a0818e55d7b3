"""Signing in with the real msal package against the hub's identity platform over HTTPS, with a
certificate the hub makes and the test trusts (REQUESTS_CA_BUNDLE): device code, silent renewal
of an expired access token, the cache file's mode, the refusals, logout — in-process."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import msal  # noqa: F401  (in the test extra: missing, these tests fail, never skip)
import pytest

from g4f.errors import NotAuthorized
from g4f.hub import Hub
from g4f.services.chatapi import ChatApiClient
from g4f.services.chatapi.signin import login, logout, signed_in

CLIENT_ID = "11111111-2222-4333-8444-555555555555"  # the user's own app registration (made up)
TENANT = "contoso.example"


def _login(url: str, service: str = "graph") -> tuple[list[str], object]:
    lines: list[str] = []
    result = login(service, CLIENT_ID, TENANT, f"{url}/{TENANT}", out=lines.append)
    return lines, result


def test_device_code_sign_in_then_chat_with_silent_renewal(
    tls_hub: tuple[Hub, str], tmp_path: Path
) -> None:
    served, url = tls_hub
    served.chatapi.identity.access_lifetime = 60  # under MSAL's 5-minute margin: renewed each use
    lines, result = _login(url)
    assert lines and "enter the code" in lines[0]
    assert result.username == "adele@contoso.example"  # type: ignore[attr-defined]
    assert "readable by you only" in result.cache  # type: ignore[attr-defined]
    cache = tmp_path / "state" / "token-cache-graph.bin"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    saved = (tmp_path / "state" / "login-graph.json").read_text()
    assert CLIENT_ID in saved and "refresh" not in saved and "eyJ" not in saved
    before = cache.read_text()

    async def chat() -> str:
        async with ChatApiClient("graph", url=url + "/beta/copilot") as client:
            return await client.ask_text("Hi from MSAL")

    assert asyncio.run(chat()).startswith("You said: «Hi from MSAL»")
    assert list(served.chatapi.identity.grants)[-1] == "refresh_token"  # silently renewed
    assert cache.read_text() != before  # the rotated refresh token was persisted
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_one_sign_in_gets_each_hosts_token_silently(tls_hub: tuple[Hub, str]) -> None:
    _, url = tls_hub
    _login(url, "workiq")
    provider = signed_in("workiq")
    assert provider is not None
    try:
        assert provider.token().count(".") == 2
    finally:
        provider.close()


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("decline", "declined"),
        ("expire", "expired"),
        ("public_client_off", "public client flows are off"),
    ],
)
def test_refused_sign_ins_say_what_to_do(
    tls_hub: tuple[Hub, str], outcome: str, words: str
) -> None:
    served, url = tls_hub
    served.chatapi.identity.device_outcome = outcome
    with pytest.raises(NotAuthorized, match=words):
        _login(url)
    assert signed_in("graph") is None


def test_logout_forgets_the_account_and_then_commands_say_to_log_in(
    tls_hub: tuple[Hub, str],
) -> None:
    _served, url = tls_hub
    _login(url)
    assert logout("graph") is True
    assert signed_in("graph") is None and logout("graph") is False
    with pytest.raises(NotAuthorized, match="g4f login --service graph"):
        ChatApiClient("graph", url=url + "/beta/copilot").auth.token()


def test_a_revoked_refresh_token_says_to_sign_in_again(tls_hub: tuple[Hub, str]) -> None:
    served, url = tls_hub
    served.chatapi.identity.access_lifetime = 60
    _login(url)
    served.chatapi.identity.revoke()
    provider = signed_in("graph")
    assert provider is not None
    with pytest.raises(NotAuthorized, match="g4f login --service graph"):
        provider.token()
    provider.close()


def test_an_encrypted_cache_is_never_also_written_in_clear(
    tls_hub: tuple[Hub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    import msal_extensions
    from msal_extensions.persistence import FilePersistence

    class StandIn(FilePersistence):  # type: ignore[misc]
        """The keyring's persistence, without a keyring: the content reversed and encoded."""

        is_encrypted = True

        def save(self, content: str) -> None:
            super().save(base64.b64encode(content[::-1].encode()).decode())

        def load(self) -> str:
            return base64.b64decode(super().load()).decode()[::-1]

    monkeypatch.delenv("G4F_TOKEN_CACHE")
    monkeypatch.setattr(msal_extensions, "build_encrypted_persistence", StandIn)
    served, url = tls_hub
    served.chatapi.identity.access_lifetime = 60  # renewed at each use: the cache changes
    _, result = _login(url)
    assert "encrypted" in result.cache  # type: ignore[attr-defined]
    provider = signed_in("graph")
    assert provider is not None
    try:
        assert provider.token().count(".") == 2
    finally:
        provider.close()
    state = tmp_path / "state"
    assert not (state / "token-cache-graph.bin").exists()
    assert (state / "token-cache-graph.bin.enc").exists()
    refresh_tokens = list(served.chatapi.identity._refresh)
    assert refresh_tokens
    on_disk = "".join(f.read_text(errors="replace") for f in state.rglob("*") if f.is_file())
    assert not [token for token in refresh_tokens if token in on_disk]
