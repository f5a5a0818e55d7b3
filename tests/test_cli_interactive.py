"""The interactive ``g4f chat``, driven in a pseudo-terminal."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from g4f.hub import Hub, Reply, TurnRequest

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


def test_answers_are_rendered_with_suggestions_and_counter(session: pexpect.spawn) -> None:
    out = ask(session, "hello")
    assert "\x1b[1mAnswer\x1b[0m to hello (Precise, turn 1)" in out  # markdown rendered
    assert "Suggestions: More?" in out and "(turn 1 of 30)" in out


def test_turns_share_one_conversation(hub: Hub, session: pexpect.spawn) -> None:
    ask(session, "first")
    assert "turn 2; before: first" in ask(session, "second")
    assert len(hub.conversations) == 1


def test_style_command_changes_the_style(session: pexpect.spawn) -> None:
    assert "Style: creative." in ask(session, "/style creative")
    assert "(Creative, turn 1)" in ask(session, "hi")
    assert "unknown style" in ask(session, "/style jailbreak")


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


def test_save_and_load_continue_a_conversation(
    hub: Hub, thread_hub: str, session: pexpect.spawn, tmp_path: Path
) -> None:
    saved = tmp_path / "conversation.json"
    ask(session, "remember this")
    assert f"Saved to {saved}." in ask(session, f"/save {saved}")
    assert json.loads(saved.read_text())["turn"] == 1
    session.sendline("/quit")
    session.expect(pexpect.EOF)

    second = spawn(thread_hub, tmp_path)
    try:
        assert "the next question is turn 2" in ask(second, f"/load {saved}")
        assert "turn 2; before: remember this" in ask(second, "and now?")
    finally:
        second.close(force=True)
    assert len(hub.conversations) == 1


def test_new_starts_another_conversation(hub: Hub, session: pexpect.spawn) -> None:
    ask(session, "one")
    assert "New conversation." in ask(session, "/new")
    assert "(Precise, turn 1)" in ask(session, "two")
    assert len(hub.conversations) == 2


def test_help_and_unknown_commands(session: pexpect.spawn) -> None:
    assert "/save FILE" in ask(session, "/help")
    assert "Unknown command /nope" in ask(session, "/nope")


def test_errors_keep_the_session(hub: Hub, session: pexpect.spawn) -> None:
    hub.scenario = "create-403"
    assert "AccessDenied" in ask(session, "hi")
    hub.scenario = "stream"
    assert "to hi again" in ask(session, "hi again")


def test_save_writes_a_private_file_and_keeps_the_style(
    thread_hub: str, session: pexpect.spawn, tmp_path: Path
) -> None:
    saved = tmp_path / "conversation.json"
    ask(session, "hello")
    ask(session, "/style creative")
    ask(session, f"/save {saved}")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["style"] == "creative"
    second = spawn(thread_hub, tmp_path)
    try:
        assert "Loaded (creative); the next question is turn 2" in ask(second, f"/load {saved}")
        assert "(Creative, turn 2" in ask(second, "and now?")
    finally:
        second.close(force=True)


def test_save_to_a_missing_directory_names_the_path(session: pexpect.spawn, tmp_path: Path) -> None:
    ask(session, "hello")
    target = tmp_path / "no" / "such" / "dir.json"
    assert f"Could not save to {target}: No such file or directory" in ask(
        session, f"/save {target}"
    )


def test_load_announces_the_turns_answered_not_the_ids_used(
    thread_hub: str, session: pexpect.spawn, tmp_path: Path
) -> None:
    saved = tmp_path / "conversation.json"
    ask(session, "hello")
    ask(session, f"/save {saved}")
    data = json.loads(saved.read_text())
    data["turn"] = 2  # a second turn was sent, then stopped before its answer
    saved.write_text(json.dumps(data))
    assert "the next question is turn 2." in ask(session, f"/load {saved}")


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


def test_retries_are_shown_on_a_terminal(hub: Hub, thread_hub: str, tmp_path: Path) -> None:
    hub.fail_next_creates("create-500")
    child = one_shot(thread_hub, "hello")
    child.expect(r"ServerError: retrying in \d+ s \(2/4\)")
    child.expect("to hello")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


# -- Microsoft 365 Copilot ----------------------------------------------------------------------


@pytest.fixture
def m365_session(hub: Hub, thread_hub: str, tmp_path: Path) -> Iterator[pexpect.spawn]:
    from g4f.hub import make_test_token

    token = tmp_path / "token"
    token.write_text(make_test_token())
    child = spawn(thread_hub, tmp_path, "--service", "m365", "--token-file", str(token))
    yield child
    child.close(force=True)


def test_model_switches_the_tone_of_the_next_turns(hub: Hub, m365_session: pexpect.spawn) -> None:
    assert "(Magic, turn 1)" in ask(m365_session, "hi")
    assert "Model: Gpt_Reasoning." in ask(m365_session, "/model Gpt_Reasoning")
    assert "(Gpt_Reasoning, turn 2; before: hi)" in ask(m365_session, "again")
    assert "not a known tone" in ask(m365_session, "/model Gpt_Imaginary")
    assert "UnknownTone" in ask(m365_session, "third")  # the error keeps the session
    assert [a["tone"] for a in hub.m365.invocations] == ["Magic", "Gpt_Reasoning", "Gpt_Imaginary"]


def test_model_is_for_m365_only(session: pexpect.spawn) -> None:
    assert "/model is for Microsoft 365 Copilot" in ask(session, "/model Magic")


def test_ctrl_c_sends_stop_to_m365(hub: Hub, m365_session: pexpect.spawn) -> None:
    hub.m365.scenario = "stop-wait"
    m365_session.sendline("tell me")
    m365_session.expect("to tell")  # half the answer arrived; the rest waits for a stop
    m365_session.sendintr()
    m365_session.expect(r"\[stopped\]")
    m365_session.expect("> ")
    assert hub.m365.stops_received == 1


def test_m365_save_keeps_ids_and_tone_but_never_the_token(
    hub: Hub, thread_hub: str, m365_session: pexpect.spawn, tmp_path: Path
) -> None:
    saved = tmp_path / "m365.json"
    ask(m365_session, "/model Claude_Sonnet")
    ask(m365_session, "remember this")
    ask(m365_session, f"/save {saved}")
    data = json.loads(saved.read_text())
    assert data["tone"] == "Claude_Sonnet" and data["turn"] == 1
    token = (tmp_path / "token").read_text()
    assert token not in saved.read_text() and token.split(".")[1] not in saved.read_text()
    m365_session.sendline("/quit")
    m365_session.expect(pexpect.EOF)
    second = spawn(
        thread_hub, tmp_path, "--service", "m365", "--token-file", str(tmp_path / "token")
    )
    try:
        assert "Loaded (Claude_Sonnet); the next question is turn 2" in ask(
            second, f"/load {saved}"
        )
        assert "(Claude_Sonnet, turn 2; before: remember this)" in ask(second, "and now?")
    finally:
        second.close(force=True)
