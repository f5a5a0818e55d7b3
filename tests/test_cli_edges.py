"""What a new user meets first on the command line: validated options, diagnoses that say what
is wrong, and no traceback on any error path."""

from __future__ import annotations

import io
import socket
import subprocess
import sys

import httpx
import pytest

from g4f import cli
from g4f.api import ApiThread
from g4f.cli.output import TerminalOutput
from g4f.client import NO_RETRY, BingClient
from g4f.engine.backend import Backend
from g4f.protocol import Final, SearchProgress, TextDelta

from .common import api_settings
from .test_cli import g4f, main


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in result.stderr and "Traceback" not in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["chat", "--retries", "0", "hi"], "--retries: must be a whole number of at least 1"),
        (["chat", "--retries", "-3", "hi"], "--retries: must be a whole number of at least 1"),
        (["chat", "--timeout", "-1", "hi"], "--timeout: must be a positive number of seconds"),
        (["chat", "--timeout", "inf", "hi"], "--timeout: must be a positive number of seconds"),
        (["chat", "--bogus", "hi"], "usage: g4f chat"),
        (["api", "--port", "99999"], "--port: must be a port number from 0 to 65535"),
        (["hub", "--port", "-1"], "--port: must be a port number from 0 to 65535"),
        (["api", "--url", "127.0.0.1:8765"], "expected an http:// or https:// base URL"),
    ],
)
def test_bad_options_are_usage_errors_that_say_which(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    result = main(capsys, *args)
    assert result.returncode == 2
    assert says in result.stderr and no_traceback(result)


def test_verbose_works_after_the_sub_command(thread_hub: str) -> None:
    result = g4f("chat", "-v", "--url", thread_hub, "hi")
    assert result.returncode == 0 and "DEBUG" in result.stderr


def test_a_busy_port_is_a_clear_error_not_a_rate_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = main(capsys, "api", "--url", "http://127.0.0.1:1", "--port", str(port))
    assert result.returncode == 78  # could not start: not an error of the service (1)
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and no_traceback(result)
    assert "--port 0 picks a free one" in result.stderr


def test_the_api_start_up_line_names_the_upstream(refused_address: str) -> None:
    upstream = f"http://u:pw@{refused_address}"
    process = subprocess.Popen(
        [sys.executable, "-m", "g4f", "api", "--port", "0", "--url", upstream],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
    assert line.startswith("g4f api listening on http://127.0.0.1:")
    assert f"(upstream: ws://<redacted>@{refused_address}/sydney/ChatHub; " in line
    assert "pw" not in line
    assert "conversations: sqlite:///" in line  # the default store, in the user's data directory


def test_a_server_that_is_not_chathub_is_diagnosed_as_such(
    thread_hub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with ApiThread(api_settings(url=thread_hub)) as api_url:  # g4f api, not the hub
        result = main(capsys, "chat", "--url", api_url, "hi")
    assert result.returncode == 10
    assert "not a ChatHub endpoint" in result.stderr and "RateLimited" not in result.stderr


def test_a_password_in_the_url_is_not_in_the_clients_repr() -> None:
    client = BingClient(url="http://user:s3cret@127.0.0.1:8765")
    assert "s3cret" not in repr(client) and "<redacted>@127.0.0.1:8765" in repr(client)


def test_the_redrawn_answer_keeps_search_lines_where_they_streamed() -> None:
    stdout = io.StringIO()
    output = TerminalOutput(stdout, io.StringIO())
    for event in (
        TextDelta("Let me look that up."),
        SearchProgress("Searching for: ChatHub", "InternalSearchQuery"),
        TextDelta("\n\nChatHub is **a hub**."),
        Final("ChatHub is a hub."),
    ):
        output.event(event)
    redrawn = stdout.getvalue().rsplit("\x1b[J", 1)[1]
    assert (
        redrawn.index("Let me look that up.")
        < redrawn.index("Searching for")
        < redrawn.index("a hub")
    )


def test_a_dead_socks_proxy_is_a_typed_error_on_the_command_line_and_the_api(
    thread_hub: str, capsys: pytest.CaptureFixture[str], refused_address: str
) -> None:
    proxy = f"socks5://user:s3cret@{refused_address}"
    result = main(capsys, "chat", "--url", thread_hub, "--proxy", proxy, "--retries", "1", "hi")
    assert result.returncode == 9 and no_traceback(result)
    assert (
        "the proxy socks5://<redacted>@127.0.0.1" in result.stderr and "s3cret" not in result.stderr
    )
    with ApiThread(api_settings(url=thread_hub, proxy=proxy, retry=NO_RETRY)) as api:
        response = httpx.post(
            api + "/v1/chat/completions",
            json={"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]},
        )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "connection_closed"
    assert "s3cret" not in response.text


def test_an_internal_error_is_one_line_and_exit_70(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(service: str, **options: object) -> Backend:
        raise RuntimeError("a bug")

    assert cli.main(["chat", "hi"], backend_for=broken) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: a bug" in err
    assert "Traceback" not in err and "-v shows the traceback" in err
