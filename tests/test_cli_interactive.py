"""The interactive ``g4f chat``: its session against a hub in-process (the wire is real), and
in a pseudo-terminal for what only a terminal shows (rendering, Ctrl-C, Ctrl-D, the history)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from g4f.cli.chat import ChatOptions, ChatSession, open_client
from g4f.cli.output import Output
from g4f.hub import Hub, Reply, TurnRequest, make_test_token

LONG = " ".join(f"word{i}" for i in range(300))


def responder(request: TurnRequest) -> Reply:
    if "long" in request.prompt:
        # Half the words, then silence: the answer is still running whenever Ctrl-C arrives,
        # however slow the machine.
        return Reply(text=LONG, scenario="silence-mid")
    last = f"; before: {request.history[-1][0]}" if request.history else ""
    return Reply(
        text=f"**Answer** to {request.prompt} ({request.style}, turn {request.turn}{last})",
        suggestions=("More?",),
    )


@pytest.fixture
def hub() -> Hub:
    return Hub(responder=responder, pace=0.01)


def default_sigint() -> None:
    # A test runner started as a background job hands SIGINT down ignored; a user's terminal
    # does not, and Ctrl-C is what these tests are about.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(url: str, home: Path, *args: str, **env: str) -> pexpect.spawn:
    """``g4f chat`` in a pseudo-terminal, its history file in ``home``."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "g4f", "chat", "--url", url, *args],
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 200),
        preexec_fn=default_sigint,
        env={**os.environ, "G4F_HISTORY": str(home / "history"), **env},
    )
    child.expect("> ")
    return child


def one_shot(url: str, prompt: str) -> pexpect.spawn:
    """``g4f chat --url URL PROMPT`` in a pseudo-terminal (no prompt to wait for)."""
    return pexpect.spawn(
        sys.executable,
        ["-m", "g4f", "chat", "--url", url, prompt],
        encoding="utf-8",
        timeout=20,
        preexec_fn=default_sigint,
    )


@pytest.fixture
def session(thread_hub: str, tmp_path: Path) -> Iterator[pexpect.spawn]:
    child = spawn(thread_hub, tmp_path)
    yield child
    child.close(force=True)


def ask(child: pexpect.spawn, line: str) -> str:
    child.sendline(line)
    child.expect("\n> ")
    return str(child.before)


# -- in a pseudo-terminal ---------------------------------------------------------------------


def test_answers_are_rendered_with_suggestions_and_counter(session: pexpect.spawn) -> None:
    out = ask(session, "hello")
    assert "\x1b[1mAnswer\x1b[0m to hello (Precise, turn 1)" in out  # markdown rendered
    assert "Suggestions: More?" in out and "(turn 1 of 30)" in out


def test_ctrl_c_stops_the_answer_and_keeps_the_session(hub: Hub, session: pexpect.spawn) -> None:
    session.sendline("something long")
    session.expect("word5 ")
    session.sendintr()
    session.expect(r"\[stopped\]")
    session.expect("> ")
    out = ask(session, "still there?")
    assert "to still there?" in out
    assert len(hub.conversations) == 1


def test_second_ctrl_c_at_the_prompt_quits(session: pexpect.spawn) -> None:
    session.sendintr()
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0


def test_ctrl_d_quits(session: pexpect.spawn) -> None:
    session.sendeof()
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0


def test_history_persists_across_sessions_in_a_private_file(
    thread_hub: str, session: pexpect.spawn, tmp_path: Path
) -> None:
    ask(session, "a question worth remembering")
    session.sendline("/quit")
    session.expect(pexpect.EOF)
    history = tmp_path / "history"
    assert "a question worth remembering" in history.read_text()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


def test_no_color_means_no_styles(thread_hub: str, tmp_path: Path) -> None:
    child = spawn(thread_hub, tmp_path, NO_COLOR="1")
    try:
        out = ask(child, "hello")
    finally:
        child.close(force=True)
    assert "**Answer** to hello" in out and "\x1b[1m" not in out and "\x1b[2m" not in out


def test_one_shot_ctrl_c_ends_the_line_and_exits_130(thread_hub: str, tmp_path: Path) -> None:
    child = one_shot(thread_hub, "something long")
    child.expect("word5 ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert str(child.before).endswith("\r\n")


# -- Microsoft 365 Copilot ----------------------------------------------------------------------


@pytest.fixture
def m365_session(hub: Hub, thread_hub: str, tmp_path: Path) -> Iterator[pexpect.spawn]:
    token = tmp_path / "token"
    token.write_text(make_test_token())
    child = spawn(thread_hub, tmp_path, "--service", "m365", "--token-file", str(token))
    yield child
    child.close(force=True)


def test_ctrl_c_sends_stop_to_m365(hub: Hub, m365_session: pexpect.spawn) -> None:
    hub.m365.scenario = "stop-wait"
    m365_session.sendline("tell me")
    m365_session.expect("to tell")  # half the answer arrived; the rest waits for a stop
    m365_session.sendintr()
    m365_session.expect(r"\[stopped\]")
    m365_session.expect("> ")
    assert hub.m365.stops_received == 1


# -- in-process: the session's commands against the hub --------------------------------------


class InProcess:
    """A session on the hub's URL, in-process: answers and notices in buffers."""

    def __init__(self, session: ChatSession, out: io.StringIO, notices: io.StringIO) -> None:
        self.session, self.out, self.notices = session, out, notices

    async def ask(self, line: str) -> str:
        """Type ``line``; what it printed (answers, then notices)."""
        for buffer in (self.out, self.notices):
            buffer.seek(0)
            buffer.truncate()
        assert await self.session.handle(line)
        return self.out.getvalue() + self.notices.getvalue()


@contextlib.asynccontextmanager
async def in_process(url: str, service: str = "bing", **options: Any) -> AsyncIterator[InProcess]:
    out, notices = io.StringIO(), io.StringIO()
    chat = ChatOptions(url=url, service=service, service_options=options)
    output = Output(out, notices)
    async with open_client(chat, output) as backend:
        yield InProcess(ChatSession(chat, output, backend), out, notices)


async def test_turns_share_one_conversation(hub: Hub, hub_url: str) -> None:
    async with in_process(hub_url) as chat:
        await chat.ask("first")
        assert "turn 2; before: first" in await chat.ask("second")
    assert len(hub.conversations) == 1


async def test_style_command_changes_the_style(hub_url: str) -> None:
    async with in_process(hub_url) as chat:
        assert "Style: creative." in await chat.ask("/style creative")
        assert "(Creative, turn 1)" in await chat.ask("hi")
        assert "unknown style" in await chat.ask("/style jailbreak")


async def test_save_and_load_continue_a_conversation(
    hub: Hub, hub_url: str, tmp_path: Path
) -> None:
    saved = tmp_path / "conversation.json"
    async with in_process(hub_url) as chat:
        await chat.ask("remember this")
        assert f"Saved to {saved}." in await chat.ask(f"/save {saved}")
    assert json.loads(saved.read_text())["turn"] == 1
    async with in_process(hub_url) as second:
        assert "the next question is turn 2" in await second.ask(f"/load {saved}")
        assert "turn 2; before: remember this" in await second.ask("and now?")
    assert len(hub.conversations) == 1


async def test_new_starts_another_conversation(hub: Hub, hub_url: str) -> None:
    async with in_process(hub_url) as chat:
        await chat.ask("one")
        assert "New conversation." in await chat.ask("/new")
        assert "(Precise, turn 1)" in await chat.ask("two")
    assert len(hub.conversations) == 2


async def test_errors_keep_the_session(hub: Hub, hub_url: str) -> None:
    async with in_process(hub_url) as chat:
        hub.scenario = "create-403"
        assert "AccessDenied" in await chat.ask("hi")
        hub.scenario = "stream"
        assert "to hi again" in await chat.ask("hi again")


async def test_save_writes_a_private_file_and_keeps_the_style(hub_url: str, tmp_path: Path) -> None:
    saved = tmp_path / "conversation.json"
    async with in_process(hub_url) as chat:
        await chat.ask("hello")
        await chat.ask("/style creative")
        await chat.ask(f"/save {saved}")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["style"] == "creative"
    async with in_process(hub_url) as second:
        loaded = await second.ask(f"/load {saved}")
        assert "Loaded (creative); the next question is turn 2" in loaded
        assert "(Creative, turn 2" in await second.ask("and now?")


async def test_load_announces_the_turns_answered_not_the_ids_used(
    hub_url: str, tmp_path: Path
) -> None:
    saved = tmp_path / "conversation.json"
    async with in_process(hub_url) as chat:
        await chat.ask("hello")
        await chat.ask(f"/save {saved}")
        data = json.loads(saved.read_text())
        data["turn"] = 2  # a second turn was sent, then stopped before its answer
        saved.write_text(json.dumps(data))
        assert "the next question is turn 2." in await chat.ask(f"/load {saved}")


async def test_model_switches_the_tone_of_the_next_turns(hub: Hub, hub_url: str) -> None:
    async with in_process(hub_url, "m365", token=make_test_token()) as chat:
        assert "(Magic, turn 1)" in await chat.ask("hi")
        assert "Model: Gpt_Reasoning." in await chat.ask("/model Gpt_Reasoning")
        assert "(Gpt_Reasoning, turn 2; before: hi)" in await chat.ask("again")
        assert "not a known tone" in await chat.ask("/model Gpt_Imaginary")
        assert "UnknownTone" in await chat.ask("third")  # the error keeps the session
    assert [a["tone"] for a in hub.m365.invocations] == ["Magic", "Gpt_Reasoning", "Gpt_Imaginary"]


async def test_m365_save_keeps_ids_and_tone_but_never_the_token(
    hub_url: str, tmp_path: Path
) -> None:
    saved = tmp_path / "m365.json"
    token = make_test_token()
    async with in_process(hub_url, "m365", token=token) as chat:
        await chat.ask("/model Claude_Sonnet")
        await chat.ask("remember this")
        await chat.ask(f"/save {saved}")
    data = json.loads(saved.read_text())
    assert data["tone"] == "Claude_Sonnet" and data["turn"] == 1
    assert token not in saved.read_text() and token.split(".")[1] not in saved.read_text()
    async with in_process(hub_url, "m365", token=make_test_token()) as second:
        loaded = await second.ask(f"/load {saved}")
        assert "Loaded (Claude_Sonnet); the next question is turn 2" in loaded
        assert "(Claude_Sonnet, turn 2; before: remember this)" in await second.ask("and now?")
