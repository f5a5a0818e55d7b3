"""The CLI's side of issue 21 (Hardening II): every wait settable, private history, what a
newcomer meets (the default service gone, unreadable input, start-up failures), in-process on a
:class:`~g4f.engine.fake.FakeBackend` unless only a process shows it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from g4f import cli, errors
from g4f.cli import chat, ownership
from g4f.cli.options import parse, timeouts_of
from g4f.cli.output import CONNECTING, WAITING, Output, TerminalOutput
from g4f.cli.services import check_given
from g4f.engine.config import Timeouts
from g4f.engine.fake import FakeBackend
from g4f.files import private_dir

from .test_cli_fake import run


def test_every_wait_of_chat_is_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _, factory = run(
        capsys,
        "--connect-timeout", "3", "--create-timeout", "4", "--turn-timeout", "90",
        "--timeout", "7",
        "Hi",
    )  # fmt: skip
    assert code == 0
    assert factory.options["timeouts"] == Timeouts(connect=3, create=4, read=7, turn=90)


def test_every_wait_of_api_is_an_option() -> None:
    args = parse(["api", "--connect-timeout", "2.5", "--turn-timeout", "120"])
    assert timeouts_of(args) == Timeouts(connect=2.5, turn=120)
    chosen = check_given(args, "api")
    settings = cli._api_settings(args, chosen, {})
    assert settings.upstream.timeouts == Timeouts(connect=2.5, turn=120)


@pytest.mark.parametrize("command", ["chat", "api"])
@pytest.mark.parametrize("option", ["--connect-timeout", "--create-timeout", "--turn-timeout"])
def test_a_bad_wait_is_a_usage_error_naming_it(
    capsys: pytest.CaptureFixture[str], command: str, option: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([command, option, "0"])
    assert exited.value.code == 2
    assert f"argument {option}: must be a positive number of seconds, not '0'" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("command", ["chat", "api"])
def test_the_waits_are_in_the_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    shown = capsys.readouterr().out
    for option in ("--timeout", "--connect-timeout", "--create-timeout", "--turn-timeout"):
        assert option in shown


def test_the_history_directory_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("readline")
    monkeypatch.delenv("G4F_HISTORY", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    with chat._line_editing():
        pass
    history = tmp_path / "state" / "g4f" / "history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    private_dir(tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


# -- 18: the default service is gone ------------------------------------------------------


def test_an_unreachable_bing_says_it_was_switched_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("G4F_BING_URL", raising=False)
    code, _, err, _ = run(capsys, "Hi", turns=([errors.ConnectError("DNS lookup failed")],))
    assert code == 9
    hint = err.splitlines()[1]
    assert "switched Bing's ChatHub off in late 2024" in hint
    for instead in ("--service m365", "Chat API", "--local"):
        assert instead in hint
    assert "Offline?" not in err


def test_the_seeds_api_says_bing_was_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from g4f.Provider.Providers import Bing

    monkeypatch.delenv("G4F_BING_URL", raising=False)
    unreachable = FakeBackend([errors.ConnectError("Cannot connect to host www.bing.com")])
    monkeypatch.setattr(Bing, "backend_for", lambda *_, **__: unreachable)
    with pytest.raises(errors.ConnectError) as raised:
        list(Bing._create_completion("gpt-4", [{"role": "user", "content": "Hi"}], True))
    assert "switched Bing's ChatHub off in late 2024" in str(raised.value)
    assert "--service m365" in str(raised.value)


def test_the_seeds_api_names_no_shutdown_for_another_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from g4f.Provider.Providers import Bing

    monkeypatch.setenv("G4F_BING_URL", "http://127.0.0.1:9")
    unreachable = FakeBackend([errors.ConnectError("refused")])
    monkeypatch.setattr(Bing, "backend_for", lambda *_, **__: unreachable)
    with pytest.raises(errors.ConnectError) as raised:
        list(Bing._create_completion("gpt-4", [{"role": "user", "content": "Hi"}], True))
    assert "switched" not in str(raised.value)


# -- 20: start-up failures ------------------------------------------------------------------


def test_api_without_its_extra_names_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "g4f.api.server", raising=False)
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it were not installed
    code = cli.main(["api", "--port", "0"])
    err = capsys.readouterr().err
    assert code == 78
    assert "pip install 'g4f-bing[api]'" in err and "uvicorn" in err


def test_a_busy_hub_port_suggests_port_0(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        code = cli.main(["hub", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 78
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0 picks a free one" in err


def test_an_unwritable_record_file_fails_before_the_question(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cassette = tmp_path / "nonexistent" / "x.jsonl"
    code, out, err, factory = run(capsys, "--record", str(cassette), "Hi")
    assert code == 78 and out == ""
    assert f"cannot write the cassette {cassette}: its directory does not exist" in err
    assert factory.calls == []  # nothing was asked


def test_start_up_failures_have_a_documented_code() -> None:
    page = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()  # the README's link
    assert "78 the command could not start" in page
    assert "78 the command could not start" in (cli.__doc__ or "")


# -- 19: what reaches users is words --------------------------------------------------------


@pytest.mark.parametrize("errors_mode", ["surrogateescape", "strict"])
def test_stdin_that_is_not_utf8_says_so(errors_mode: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "g4f", "chat", "--local"],
        input=b"\xff\xfe caf\xe9\n",
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": f"utf-8:{errors_mode}"},
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "g4f: error: standard input is not UTF-8 text (byte 0xff at position 0); convert it "
        "first, e.g. with iconv -f LATIN1 -t UTF-8\n"
    )


def session(err: io.StringIO) -> chat.ChatSession:
    return chat.ChatSession(chat.ChatOptions(), Output(io.StringIO(), err), FakeBackend())


async def test_load_and_save_word_a_missing_file_the_same_way(tmp_path: Path) -> None:
    err = io.StringIO()
    repl = session(err)
    await repl.handle("Hi")
    missing = tmp_path / "nothere"
    repl.command(f"/load {missing}.json")
    repl.command(f"/save {missing}/x.json")
    assert err.getvalue().splitlines() == [
        f"Could not load {missing}.json: No such file or directory.",
        f"Could not save {missing}/x.json: No such file or directory.",
    ]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"null", "not a saved conversation"),
        (b"[1]", "not a saved conversation"),
        (b"not json", "not JSON (not a file /save wrote)"),
        (b"\xff\xfe", "not UTF-8 text (not a file /save wrote)"),
    ],
)
def test_load_of_a_file_that_is_no_conversation_says_what_it_is(
    tmp_path: Path, content: bytes, says: str
) -> None:
    err = io.StringIO()
    path = tmp_path / "f.json"
    path.write_bytes(content)
    session(err).command(f"/load {path}")
    shown = err.getvalue()
    assert shown.startswith(f"Could not load {path}: ") and says in shown
    assert "None" not in shown


# -- 23: another distribution in the same import package ------------------------------------


def gpt4free_site(tmp_path: Path) -> dict[str, str]:
    """The environment of a process that also has gpt4free's ``g4f`` installed (its
    dist-info only: a distribution that lists files under ``g4f/``)."""
    info = tmp_path / "site" / "g4f-0.3.5.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: g4f\nVersion: 0.3.5\n")
    (info / "RECORD").write_text("g4f/__init__.py,,\ng4f/Provider/__init__.py,,\n")
    ours = str(Path(cli.__file__).parent.parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([ours, str(tmp_path / "site")])}


def g4f_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "g4f", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_version_says_when_gpt4free_shares_the_package(tmp_path: Path) -> None:
    result = g4f_run(gpt4free_site(tmp_path), "--version")
    assert result.returncode == 0 and result.stdout.startswith("g4f-bing ")
    assert "g4f: warning: g4f 0.3.5 also installs the g4f import package" in result.stderr
    assert "separate virtual environment" in result.stderr


def test_every_command_says_when_gpt4free_shares_the_package(tmp_path: Path) -> None:
    result = g4f_run(gpt4free_site(tmp_path), "hub", "--print-token")
    assert result.returncode == 0 and result.stdout.count(".") == 2  # the token still prints
    assert result.stderr.startswith("g4f: warning: g4f 0.3.5 also installs the g4f import")


def test_no_warning_when_the_package_is_ours_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert ownership.gpt4free_owner() == []
    assert cli.main(["hub", "--print-token"]) == 0
    assert capsys.readouterr().err == ""


# -- 22: the spinner's phase and time; a transcript kept ------------------------------------


class Watched(io.StringIO):
    """A stream that tells when it is written to."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


async def test_the_spinner_shows_the_phase_and_the_time_elapsed() -> None:
    err = Watched()
    terminal = TerminalOutput(io.StringIO(), err, color=False)
    now = [100.0]
    terminal.clock = lambda: now[0]

    async def shown(text: str) -> None:
        while text not in err.getvalue():
            err.written.clear()
            await err.written.wait()

    async with terminal.connecting(WAITING):
        await asyncio.wait_for(shown("waiting for the answer…"), timeout=30)
        now[0] += 42
        await asyncio.wait_for(shown("waiting for the answer… 42 s"), timeout=30)
    async with terminal.connecting():
        await asyncio.wait_for(shown("connecting…"), timeout=30)


async def test_the_session_waits_for_its_answer_as_waiting_not_connecting() -> None:
    phases: list[str] = []

    class Phases(Output):
        @contextlib.asynccontextmanager
        async def connecting(self, phase: str = CONNECTING) -> AsyncIterator[None]:
            phases.append(phase)
            yield

    repl = chat.ChatSession(chat.ChatOptions(), Phases(io.StringIO(), io.StringIO()), FakeBackend())
    await repl.handle("Hi")
    assert phases == [CONNECTING, WAITING]


async def test_a_saved_chat_keeps_its_transcript_and_shows_it_when_it_cannot_continue(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chat.json"
    first = session(io.StringIO())
    await first.handle("What is ChatHub?")
    first.command(f"/save {path}")
    saved = json.loads(path.read_text())
    assert saved["transcript"] == [
        {"question": "What is ChatHub?", "answer": "Echo: What is ChatHub?"}
    ]
    err = io.StringIO()
    expired = FakeBackend([errors.ConversationExpired("InvalidSession")])
    later = chat.ChatSession(chat.ChatOptions(), Output(io.StringIO(), err), expired)
    later.command(f"/load {path}")
    await later.handle("And then?")
    shown = err.getvalue()
    assert "The conversation cannot continue; what it said:\n\n> What is ChatHub?\n" in shown
    assert "Echo: What is ChatHub?" in shown
    assert shown.rstrip().endswith("The next question starts a new conversation.")
    assert later.conversation is None and later.transcript == []
