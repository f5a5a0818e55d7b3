"""The ``g4f`` command against a hub: in-process through :func:`g4f.cli.main` (the wire is
real, the process is not), and as a real process for what only a process shows (``python -m
g4f``, stdin, the real command's exit status, ``g4f hub`` serving)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from g4f import cli
from g4f.hub import Hub, HubThread, TurnRequest, echo_responder

from .common import ANSWER, PROMPT
from .seed import SEED_EXAMPLE


def g4f(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "g4f", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
    )


def main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``g4f ARGS`` in-process: what :func:`g4f` gives, without starting a process."""
    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse: --help, usage errors
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(["g4f", *args], code, captured.out, captured.err)


@pytest.fixture
def hub_process() -> Iterator[str]:
    """``g4f hub`` in its own process on a free port (port 0); yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "g4f", "hub", "--port", "0", "--pace", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("g4f hub listening on "), first
        yield first.split(" on ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def test_chat_local_streams_the_answer_to_stdout() -> None:
    result = g4f("chat", "--local", "Привет, как дела?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == echo_responder(TurnRequest("Привет, как дела?")).text + "\n"


def test_chat_reads_the_prompt_from_stdin() -> None:
    result = g4f("chat", "--local", "-", stdin="from a pipe\n")
    assert result.stdout == echo_responder(TurnRequest("from a pipe")).text + "\n"


def test_seed_example_runs_unchanged_against_g4f_hub(hub_process: str, tmp_path: Path) -> None:
    script = tmp_path / "seed_example.py"
    script.write_text(SEED_EXAMPLE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "G4F_BING_URL": hub_process, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stderr
    expected = echo_responder(
        TurnRequest("Хорошо, спасибо!", context="[user](#message)\nПривет, как дела?\n\n")
    ).text
    assert result.stdout == expected


def test_chat_url_reaches_a_running_hub(
    thread_hub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = main(capsys, "chat", "--url", thread_hub, "--style", "balanced", "Hi")
    assert result.returncode == 0, result.stderr
    assert "Style: Balanced" in result.stdout


def test_chat_error_is_one_line_on_stderr_with_an_exit_code(refused_address: str) -> None:
    result = g4f("chat", "--url", f"http://{refused_address}", "--retries", "1", "Hi")
    assert result.returncode == 9
    assert result.stdout.strip() == ""
    assert result.stderr.strip().startswith("g4f: error: ConnectError:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_hub_refuses_an_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    result = main(capsys, "hub", "--port", "0", "--scenario", "bogus")
    assert result.returncode == 2
    assert "unknown hub scenario 'bogus'" in result.stderr


@pytest.mark.parametrize(
    ("scenario", "code", "error"),
    [
        ("fail:Throttled", 3, "RateLimited"),
        ("fail:CaptchaChallenge", 4, "ChallengeRequired"),
        ("fail:UnauthorizedRequest", 5, "NotAuthorized"),
        ("create-403", 5, "AccessDenied"),
        ("fail:InvalidSession", 6, "ConversationExpired"),
        ("fail:InvalidRequest", 6, "ConversationInvalid"),
        ("fail:ProcessingMessage", 7, "Busy"),
        ("silence", 8, "ResponseTimeout"),
        ("close", 9, "ConnectionClosed"),
        ("malformed", 10, "ProtocolError"),
        ("create-500", 11, "ServerError"),
        ("fail:SomethingElse", 1, "RequestRefused"),
    ],
)
def test_each_error_class_has_its_exit_code_and_one_line(
    hub: Hub,
    thread_hub: str,
    capsys: pytest.CaptureFixture[str],
    scenario: str,
    code: int,
    error: str,
) -> None:
    hub.scenario = scenario
    # A short read deadline only where the silence is what is tested.
    timeout = "0.5" if scenario == "silence" else "30"
    result = main(
        capsys, "chat", "--url", thread_hub, "--retries", "1", "--timeout", timeout, PROMPT
    )
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"g4f: error: {error}: ")
    assert lines[0].endswith(")")  # the hint: what the user can do
    # Nothing on stdout but the answer: here the part received before the failure.
    partial = result.stdout.rstrip("\n")
    assert ANSWER.startswith(partial)


def test_challenge_error_tells_the_user_what_to_do(
    hub: Hub, thread_hub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.scenario = "create-html"
    result = main(capsys, "chat", "--url", thread_hub, "Hi")
    assert result.returncode == 4
    assert "solve the challenge" in result.stderr and "fresh cookies" in result.stderr


def test_json_prints_one_parseable_event_per_line(
    hub: Hub, thread_hub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.scenario = "search"
    result = main(capsys, "chat", "--url", thread_hub, "--json", PROMPT)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "text_delta" and types[-1] == "final"
    assert {"search_progress", "sources", "suggested_replies", "throttling"} <= set(types)
    assert events[-1]["text"] == ANSWER
    assert "".join(e["text"] for e in events if e["type"] == "text_delta").endswith(ANSWER)


def test_json_reports_an_error_as_an_event(
    hub: Hub, thread_hub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.scenario = "fail:Throttled"
    result = main(capsys, "chat", "--url", thread_hub, "--json", "--retries", "1", PROMPT)
    assert result.returncode == 3
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["type"] == "error" and last["error"] == "RateLimited" and last["exit_code"] == 3
    assert ANSWER.startswith(last["partial_text"]) and last["partial_text"]


def test_no_search_and_style_reach_the_server(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[TurnRequest] = []
    hub = Hub(responder=lambda r: seen.append(r) or "ok")  # type: ignore[func-returns-value]
    with HubThread(hub) as url:
        result = main(capsys, "chat", "--url", url, "--no-search", "--style", "creative", "Hi")
    assert result.stdout == "ok\n"
    assert (seen[0].search, seen[0].style) == (False, "Creative")


def test_record_writes_a_cassette(
    thread_hub: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "c.jsonl"
    result = main(capsys, "chat", "--url", thread_hub, "--record", str(cassette), "Hi")
    assert result.returncode == 0
    assert cassette.read_text(encoding="utf-8").startswith('{"cassette": 1}')


def test_cookies_file_is_sent_and_a_missing_one_is_a_clear_error(
    hub: Hub, thread_hub: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cookies = tmp_path / "cookies.json"
    cookies.write_text('[{"domain": ".bing.com", "name": "_U", "value": "secret"}]')
    sent = main(capsys, "chat", "--url", thread_hub, "--cookies", str(cookies), "Hi")
    assert sent.returncode == 0
    assert list(hub.create_cookie_names) == [["_U"]]
    missing = main(
        capsys, "chat", "--url", thread_hub, "--cookies", str(tmp_path / "nope.json"), "Hi"
    )
    assert missing.returncode == 2  # a usage error, like any other bad option
    assert "cannot read the cookies file" in missing.stderr and "nope.json" in missing.stderr
    assert "secret" not in missing.stderr and "Traceback" not in missing.stderr


def test_every_option_is_explained_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command, options in {
        "chat": [
            "--style",
            "--no-search",
            "--cookies",
            "--proxy",
            "--url",
            "--timeout",
            "--json",
            "--record",
            "--local",
            "--retries",
        ],
        "api": [
            "--host",
            "--port",
            "--api-key",
            "--url",
            "--cookies",
            "--proxy",
            "--cors-origin",
            "--max-body-bytes",
            "--max-messages",
            "--conversation-ttl",
            "--max-conversations",
            "--timeout",
            "--idle-websockets",
            "--log-level",
        ],
        "hub": [
            "--host",
            "--port",
            "--scenario",
            "--cassette",
            "--create-shape",
            "--pace",
            "--latency",
            "--answer-words",
            "--max-turns",
        ],
    }.items():
        text = main(capsys, command, "--help").stdout
        for option in options:
            assert option in text, (command, option)
