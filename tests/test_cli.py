"""The ``g4f`` command, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from g4f.hub import TurnRequest, echo_responder

SEED_EXAMPLE = """\
from g4f.Provider.Providers.Bing import _create_completion

messages = [
    {'role': 'user', 'content': 'Привет, как дела?'},
    {'role': 'assistant', 'content': 'Хорошо, спасибо!'}
]

for token in _create_completion('gpt-4', messages, stream=True):
    print(token, end='')
"""


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


def test_chat_url_reaches_a_running_hub(hub_process: str) -> None:
    result = g4f("chat", "--url", hub_process, "--style", "balanced", "Hi")
    assert result.returncode == 0, result.stderr
    assert "Style: Balanced" in result.stdout


def test_chat_error_is_one_line_on_stderr_with_an_exit_code() -> None:
    result = g4f("chat", "--url", "http://127.0.0.1:9", "Hi")
    assert result.returncode == 9
    assert result.stdout.strip() == ""
    assert result.stderr.strip().startswith("g4f: error: ConnectionClosed:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_hub_refuses_an_unknown_scenario() -> None:
    result = g4f("hub", "--port", "0", "--scenario", "bogus")
    assert result.returncode == 2
    assert "unknown hub scenario 'bogus'" in result.stderr
