"""``g4f login`` / ``g4f logout`` with the real msal package against the hub's identity endpoints
over HTTPS (the hub makes the certificate; the tests trust its CA through REQUESTS_CA_BUNDLE):
in-process through :func:`g4f.cli.main` for what it says and its exit codes, and once end to end
as real processes — ``g4f hub --tls`` → ``g4f login`` → ``g4f chat`` (a silent renewal of an
expired access token) → ``g4f api`` answering the ``openai`` package → ``g4f logout`` → ``g4f
chat`` saying to run ``g4f login``."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import msal  # noqa: F401  (in the test extra: missing, these tests fail, never skip)
import openai
import pytest

from g4f.hub import Hub

from .test_cli import g4f, main

CLIENT_ID = "5e0c7a51-9d7b-4c1e-8f43-2a6b1d9e7c30"  # the user's own app registration (made up)
TENANT = "contoso.example"


def _login(
    capsys: pytest.CaptureFixture[str], url: str, *more: str
) -> subprocess.CompletedProcess[str]:
    return main(capsys, "login", "--service", "graph", "--client-id", CLIENT_ID,
                "--tenant", TENANT, "--authority", f"{url}/{TENANT}", *more)  # fmt: skip


def test_login_prints_the_device_code_message_and_where_the_cache_is(
    tls_hub: tuple[Hub, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = tls_hub
    result = _login(capsys, url)
    assert result.returncode == 0, result.stderr
    assert "To sign in, use a web browser to open the page" in result.stdout
    assert "Signed in to graph as adele@contoso.example" in result.stdout
    assert "a file readable by you only" in result.stdout
    assert "eyJ" not in result.stdout + result.stderr  # no token, ever
    again = main(capsys, "login", "--service", "workiq")  # remembered: no flags needed
    assert again.returncode == 0, again.stderr
    assert "Signed in to workiq" in again.stdout
    saved = (tmp_path / "state" / "login-workiq.json").read_text()
    assert CLIENT_ID in saved and f"{url}/{TENANT}" in saved


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("decline", "declined in the browser"),
        ("expire", "the code expired"),
        ("public_client_off", "turn on 'Allow public client flows'"),
    ],
)
def test_refused_sign_ins_exit_5_saying_what_to_do(
    tls_hub: tuple[Hub, str], capsys: pytest.CaptureFixture[str], outcome: str, words: str
) -> None:
    hub, url = tls_hub
    hub.chatapi.identity.device_outcome = outcome
    result = _login(capsys, url)
    assert result.returncode == 5
    assert words in result.stderr and "NotAuthorized" in result.stderr


def test_login_needs_an_app_registration_the_first_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("G4F_STATE_DIR", str(tmp_path / "empty"))
    result = main(capsys, "login", "--service", "graph")
    assert result.returncode == 2
    assert "--client-id" in result.stderr and "--tenant" in result.stderr


def test_logout_says_what_it_forgot(
    tls_hub: tuple[Hub, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = tls_hub
    _login(capsys, url)
    first = main(capsys, "logout", "--service", "graph")
    assert first.returncode == 0 and "Signed out of graph" in first.stdout
    second = main(capsys, "logout", "--service", "graph")
    assert second.returncode == 0 and "Not signed in to graph" in second.stdout


# --- end to end, as real processes ------------------------------------------------------------


def _start(
    args: list[str], env: dict[str, str], first: str
) -> tuple[subprocess.Popen[str], list[str]]:
    """A ``g4f`` process and its start-up lines on stderr, up to the one starting ``first``."""
    process = subprocess.Popen([sys.executable, "-m", "g4f", *args], stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True, env=env)  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith(first):
        line = process.stderr.readline()
        assert line, f"g4f {args[0]} ended before saying {first!r}: {lines}"
        lines.append(line.rstrip("\n"))
    return process, lines


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stderr is not None:
        process.stderr.close()


def test_login_chat_api_logout_end_to_end_as_processes(tmp_path: Path) -> None:
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("G4F_", "REQUESTS_CA", "SSL_CERT"))
    }
    base_env["PYTHONIOENCODING"] = "utf-8"
    hub, lines = _start(["hub", "--tls", "--port", "0", "--token-lifetime", "60"], base_env,
                        "g4f hub TLS certificate authority: ")  # fmt: skip
    try:
        url = lines[0].split(" on ", 1)[1].split()[0]
        ca = lines[-1].split(": ", 1)[1]
        assert url.startswith("https://127.0.0.1:") and Path(ca).is_file()
        state = tmp_path / "state"
        env = {**base_env, "REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca,
               "G4F_STATE_DIR": str(state), "G4F_TOKEN_CACHE": "file"}  # fmt: skip
        _sign_in_and_chat(url, env, state)
        _serve_the_api(url, env)
        out = g4f("logout", "--service", "graph", env=env)
        assert out.returncode == 0 and "Signed out of graph" in out.stdout
        after = g4f("chat", "--service", "graph", "--url", url + "/beta/copilot", "Hi", env=env)
        assert after.returncode == 5
        assert "run `g4f login --service graph" in after.stderr
    finally:
        _stop(hub)


def _sign_in_and_chat(url: str, env: dict[str, str], state: Path) -> None:
    login = g4f("login", "--service", "graph", "--client-id", CLIENT_ID, "--tenant", TENANT,
                "--authority", f"{url}/{TENANT}", env=env)  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert "enter the code" in login.stdout and "readable by you only" in login.stdout
    assert "eyJ" not in login.stdout + login.stderr
    cache = state / "token-cache-graph.bin"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    before = cache.read_text()
    # The access token lives 60 s, under MSAL's 5-minute margin: it counts as expired, so this
    # chat renews it silently from the refresh token, which rotates and is persisted.
    chat = g4f("chat", "--service", "graph", "--url", url + "/beta/copilot", "Hello from a process",
               env=env)  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.startswith("You said: «Hello from a process»")
    assert cache.read_text() != before
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def _serve_the_api(url: str, env: dict[str, str]) -> None:
    args = ["api", "--service", "graph", "--url", url + "/beta/copilot", "--port", "0",
            "--store", "memory://"]  # fmt: skip
    api, lines = _start(args, env, "g4f api listening on ")
    try:
        api_url = lines[-1].split(" on ", 1)[1].split()[0]
        with openai.OpenAI(base_url=api_url, api_key="unused", max_retries=0) as client:
            assert [m.id for m in client.models.list()] == ["graph-copilot"]
            answer = client.chat.completions.create(
                model="graph-copilot", messages=[{"role": "user", "content": "Hi from openai"}]
            )
        assert (answer.choices[0].message.content or "").startswith("You said: «Hi from openai»")
    finally:
        _stop(api)
