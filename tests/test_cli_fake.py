"""``g4f chat`` on a :class:`~g4f.engine.fake.FakeBackend`: the command's own behaviour (output,
``--json``, exit codes, the offline hint, options reaching the backend, the interactive
session's commands) in-process, with no socket."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from g4f import cli, errors
from g4f.cli.chat import HELP, ChatOptions, ChatSession, one_shot
from g4f.cli.output import JsonOutput, Output, TerminalOutput
from g4f.engine.backend import Backend, Capabilities
from g4f.engine.fake import FakeBackend, Step
from g4f.protocol import (
    Final,
    ReasoningProgress,
    Retraction,
    SearchProgress,
    Source,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
    TurnLimit,
)
from g4f.protocol.constants import Style
from g4f.services.registry import REGISTRY

BING_LIKE = REGISTRY["bing"].capabilities
M365_LIKE = REGISTRY["m365"].capabilities
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


class Factory:
    """A ``backend_for`` for :func:`g4f.cli.main`: hands out ``backend`` and remembers what it
    was asked for."""

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, service: str, **options: Any) -> Backend:
        self.calls.append((service, options))
        return self.backend

    @property
    def options(self) -> dict[str, Any]:
        """The options of the last backend built."""
        return self.calls[-1][1]


def run(
    capsys: pytest.CaptureFixture[str], *args: str, turns: tuple[list[Step], ...] = ()
) -> tuple[int, str, str, Factory]:
    """``g4f chat ARGS`` in-process on a fake playing ``turns``."""
    factory = Factory(FakeBackend(*turns))
    code = cli.main(["chat", *args], backend_for=factory)
    captured = capsys.readouterr()
    return code, captured.out, captured.err, factory


# -- one turn ---------------------------------------------------------------------------------


def test_one_shot_prints_the_answer_and_nothing_else(capsys: pytest.CaptureFixture[str]) -> None:
    turn: list[Step] = [
        SearchProgress("Searching for: hi", "InternalSearchQuery"),
        TextDelta("Hel"),
        TextDelta("lo"),
        Sources((Source("T", "https://e.x/"),)),
        Final("Hello"),
    ]
    code, out, err, factory = run(capsys, "Hi", turns=(turn,))
    assert (code, out, err) == (0, "Hello\n", "")
    asked = factory.backend.asked[0]
    assert (asked.prompt, asked.style, asked.search, asked.tone) == (
        "Hi",
        Style.PRECISE,
        True,
        None,
    )
    assert factory.backend.closed


def test_a_retraction_is_shown_after_what_streamed(capsys: pytest.CaptureFixture[str]) -> None:
    turn: list[Step] = [TextDelta("Oops"), Retraction("Oops", "Sorry."), Final("Sorry.", True)]
    assert run(capsys, "Hi", turns=(turn,))[:3] == (0, "Oops\n\nSorry.\n", "")


def test_the_options_reach_the_backend(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cookies = tmp_path / "cookies.json"
    cookies.write_text('[{"domain": ".bing.com", "name": "_U", "value": "secret"}]')
    code, _, _, factory = run(
        capsys,
        *("--url", "http://127.0.0.1:1", "--proxy", "socks5://127.0.0.1:2"),
        *("--timeout", "7", "--retries", "2", "--record", str(tmp_path / "c.jsonl")),
        *("--cookies", str(cookies), "--style", "creative", "--no-search", "Hi"),
    )
    assert code == 0
    service, options = factory.calls[0]
    assert service == "bing" and options["url"] == "http://127.0.0.1:1"
    assert options["proxy"] == "socks5://127.0.0.1:2" and options["record"] == tmp_path / "c.jsonl"
    assert options["timeouts"].read == 7 and options["retry"].attempts == 2
    assert options["cookies"].header() == "_U=secret"
    asked = factory.backend.asked[0]
    assert (asked.style, asked.search) == (Style.CREATIVE, False)


def test_m365_options_the_model_and_images_reach_the_backend(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    code, out, _, factory = run(
        capsys,
        *("--service", "m365", "--token-file", str(tmp_path / "token")),
        *("--model", "Claude_Sonnet", "--image", str(image), "What is it?"),
    )
    assert (code, out) == (0, "Echo: What is it?\n")
    assert factory.calls[0][0] == "m365"
    assert factory.options["token_file"] == tmp_path / "token" and "cookies" not in factory.options
    asked = factory.backend.asked[0]
    assert asked.tone == "Claude_Sonnet" and [i.name for i in asked.images] == ["cat.png"]


def test_local_gives_the_service_its_local_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _, factory = run(
        capsys, "--service", "m365", "--local", "--token-file", "/no/such/token", "Hi"
    )
    assert code == 0
    options = factory.options
    assert options["url"].startswith("http://127.0.0.1:")
    assert options["token_file"] is None and options["token"].count(".") == 2  # the hub's


# -- --json ---------------------------------------------------------------------------------


def test_json_prints_every_event_kind_in_its_format(capsys: pytest.CaptureFixture[str]) -> None:
    turn: list[Step] = [
        TextDelta("Hé"),
        SearchProgress("Searching for: x", "InternalSearchQuery"),
        ReasoningProgress("Thinking"),
        Sources((Source("T", "https://e.x/"),)),
        SuggestedReplies(("More?", "Why?")),
        Throttling(1, 30),
        TurnLimit(30, 30),
        Retraction("Hé", "Sorry."),
        Final("Sorry.", True, "c1", "2030-01-01"),
    ]
    code, out, err, _ = run(capsys, "--json", "Hi", turns=(turn,))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        '{"type": "text_delta", "text": "Hé"}',
        '{"type": "search_progress", "text": "Searching for: x", '
        '"message_type": "InternalSearchQuery"}',
        '{"type": "reasoning_progress", "text": "Thinking"}',
        '{"type": "sources", "items": [{"title": "T", "url": "https://e.x/"}]}',
        '{"type": "suggested_replies", "items": ["More?", "Why?"]}',
        '{"type": "throttling", "used": 1, "limit": 30}',
        '{"type": "turn_limit", "used": 30, "limit": 30}',
        '{"type": "retraction", "retracted_text": "Hé", "apology": "Sorry."}',
        '{"type": "final", "text": "Sorry.", "retracted": true, "conversation_id": "c1", '
        '"expiry_time": "2030-01-01", "answer": null}',
    ]


def test_json_reports_an_error_as_an_event_and_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failure = errors.RateLimited("slow down", retry_after=4)
    code, out, err, _ = run(capsys, "--json", "Hi", turns=([TextDelta("Half"), failure],))
    assert code == 3
    assert out.splitlines() == [
        '{"type": "text_delta", "text": "Half"}',
        '{"type": "error", "error": "RateLimited", "message": "' + str(failure) + '", '
        '"partial_text": "Half", "retry_after": 4, "exit_code": 3}',
    ]
    assert err == f"g4f: error: RateLimited: {failure}\n"


def test_json_interrupted_is_an_event() -> None:
    stdout = io.StringIO()
    JsonOutput(stdout, io.StringIO()).interrupted()
    assert stdout.getvalue() == '{"type": "interrupted"}\n'


# -- errors -----------------------------------------------------------------------------------

ERRORS = [
    (errors.RateLimited("throttled"), 3),
    (errors.ChallengeRequired("captcha"), 4),
    (errors.NotAuthorized("who?"), 5),
    (errors.AccessDenied("403"), 5),
    (errors.ConversationExpired("gone"), 6),
    (errors.ConversationInvalid("bad"), 6),
    (errors.Busy("busy"), 7),
    (errors.ResponseTimeout("silence"), 8),
    (errors.ConnectionClosed("closed"), 9),
    (errors.ConnectError("refused"), 9),
    (errors.ProtocolError("garbage"), 10),
    (errors.ServerError("500"), 11),
    (errors.Refused("declined"), 12),
    (errors.UnknownTone("no such tone", tone="X"), 13),
    (errors.RequestRefused("else"), 1),
]


@pytest.mark.parametrize(("error", "code"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_each_error_is_its_exit_code_and_one_line(
    capsys: pytest.CaptureFixture[str], error: errors.G4FError, code: int
) -> None:
    got, out, err, _ = run(
        capsys, "--url", "http://127.0.0.1:1", "Hi", turns=([TextDelta("So far"), error],)
    )
    assert got == code
    assert out == "So far\n"  # the answer received before the failure, ended by its line
    assert err == f"g4f: error: {type(error).__name__}: {error}\n"


def test_usage_errors_are_exit_2_and_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for args, says in [
        (["--model", "Magic", "Hi"], "--model needs --service m365"),
        (["--image", "x.png", "Hi"], "--image needs --service m365"),
        (["--token-file", "t", "--model", "M", "Hi"], "--token-file, --model needs --service m365"),
        (["--service", "m365", "--cookies", "c.txt", "Hi"], "--cookies needs --service bing"),
        (["--cookies", str(tmp_path / "nope.json"), "Hi"], "cannot read the cookies file"),
        (["--service", "m365", "--image", str(tmp_path / "no.png"), "Hi"], "cannot read the image"),
        (["   "], "the prompt is empty"),
    ]:
        code, out, err, factory = run(capsys, *args)
        assert (code, out) == (2, ""), args
        assert err.startswith("g4f: error: ") and says in err and err.count("\n") == 1, err
        assert factory.calls == []  # refused before any backend is made


# -- the offline hint -------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["bing", "m365"])
def test_an_unreachable_default_service_gets_its_offline_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    entry = REGISTRY[service]
    monkeypatch.delenv(entry.env_url, raising=False)
    code, _, err, _ = run(capsys, "--service", service, "Hi", turns=([errors.ConnectError("x")],))
    assert code == 9
    assert err.splitlines()[1] == entry.offline_hint and "g4f chat" in entry.offline_hint


def test_no_offline_hint_when_another_server_was_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = [errors.ConnectError("x")]
    hint = REGISTRY["bing"].offline_hint
    assert hint not in run(capsys, "--url", "http://h", "Hi", turns=(failure,))[2]
    monkeypatch.setenv("G4F_BING_URL", "http://h")
    assert hint not in run(capsys, "Hi", turns=([errors.ConnectError("x")],))[2]
    monkeypatch.delenv("G4F_BING_URL")
    assert hint not in run(capsys, "Hi", turns=([errors.Busy("x")],))[2]


async def test_one_shot_takes_a_backend() -> None:
    backend = FakeBackend([TextDelta("ok"), Final("ok")])
    stdout = io.StringIO()
    await one_shot(ChatOptions(), "Hi", Output(stdout, io.StringIO()), backend=backend)
    assert stdout.getvalue() == "ok\n" and backend.closed


# -- the interactive session -----------------------------------------------------------------


def session(
    *turns: list[Step], capabilities: Capabilities = BING_LIKE, service: str = "bing"
) -> tuple[ChatSession, io.StringIO, io.StringIO]:
    """A session on a fake backend; its answers and notices in two buffers."""
    out, notices = io.StringIO(), io.StringIO()
    backend = FakeBackend(*turns, capabilities=capabilities)
    options = ChatOptions(service=service)
    return ChatSession(options, Output(out, notices), backend), out, notices


def said(notices: io.StringIO) -> str:
    """What the session said since last asked, emptying it."""
    text = notices.getvalue()
    notices.seek(0)
    notices.truncate()
    return text


async def test_questions_share_a_conversation_until_new() -> None:
    chat, out, notices = session()
    backend = chat.backend
    assert isinstance(backend, FakeBackend)
    assert await chat.handle("first") and await chat.handle("second")
    assert out.getvalue() == "Echo: first\nEcho: second\n"
    assert {a.conversation_id for a in backend.asked} == {"fake-1"}
    assert await chat.handle("/new") and said(notices) == "New conversation.\n"
    await chat.handle("third")
    assert backend.asked[-1].conversation_id == "fake-2"
    assert await chat.handle("   ")  # an empty line is nothing
    assert len(backend.asked) == 3


async def test_style_command() -> None:
    chat, _, notices = session()
    chat.command("/style creative")
    assert said(notices) == "Style: creative.\n"
    await chat.handle("hi")
    assert chat.backend.asked[-1].style == Style.CREATIVE  # type: ignore[attr-defined]
    chat.command("/style jailbreak")
    assert "unknown style" in said(notices)


async def test_style_and_model_say_which_service_has_them() -> None:
    chat, _, notices = session()
    chat.command("/model Magic")
    assert said(notices) == "/model is for Microsoft 365 Copilot (--service m365).\n"
    chat, _, notices = session(capabilities=M365_LIKE, service="m365")
    chat.command("/style creative")
    assert said(notices) == "/style is for Bing (--service bing).\n"


async def test_model_command_sets_the_tone() -> None:
    chat, _, notices = session(capabilities=M365_LIKE, service="m365")
    chat.command("/model")
    assert said(notices).startswith("Usage: /model TONE (known: Magic, Chat, Reasoning, ")
    chat.command("/model Gpt_Reasoning")
    assert said(notices) == "Model: Gpt_Reasoning.\n"
    await chat.handle("hi")
    assert chat.conversation is not None and chat.conversation.tone == "Gpt_Reasoning"
    chat.command("/model Gpt_Imaginary")
    assert "(not a known tone; known: Magic" in said(notices)
    # selected for the next question; the conversation's (what /save writes) once accepted
    assert chat.tone == "Gpt_Imaginary" and chat.conversation.tone == "Gpt_Reasoning"
    chat.command("/model m365-gpt-quick")
    assert said(notices) == "Model: Gpt_Quick.\n"


async def test_save_and_load(tmp_path: Path) -> None:
    chat, _, notices = session()
    saved = tmp_path / "c.json"
    chat.command(f"/save {saved}")
    assert said(notices) == "Nothing to save yet: ask something first.\n"
    await chat.handle("hi")
    chat.command("/style balanced")
    said(notices)
    chat.command(f"/save {saved}")
    assert said(notices) == f"Saved to {saved}.\n"
    assert saved.stat().st_mode & 0o777 == 0o600
    data = json.loads(saved.read_text())
    assert (data["conversation_id"], data["style"], data["turn"]) == ("fake-1", "balanced", 1)

    again, _, notices = session()
    again.command(f"/load {saved}")
    assert said(notices) == "Loaded (balanced); the next question is turn 2.\n"
    await again.handle("more")
    assert again.backend.asked[-1].conversation_id == "fake-1"  # type: ignore[attr-defined]
    for line, says in [
        ("/save", "Usage: /save FILE"),
        ("/load", "Usage: /load FILE"),
        (f"/load {tmp_path / 'none.json'}", "Could not load"),
        (f"/save {tmp_path / 'no' / 'dir.json'}", "No such file or directory"),
    ]:
        again.command(line)
        assert says in said(notices), line


async def test_load_shows_the_tone_where_models_are_tones(tmp_path: Path) -> None:
    chat, _, notices = session(capabilities=M365_LIKE, service="m365")
    chat.command("/model Claude_Sonnet")
    await chat.handle("hi")
    saved = tmp_path / "m.json"
    chat.command(f"/save {saved}")
    again, _, notices = session(capabilities=M365_LIKE, service="m365")
    again.command(f"/load {saved}")
    assert said(notices) == "Loaded (Claude_Sonnet); the next question is turn 2.\n"


async def test_help_unknown_and_quit() -> None:
    chat, _, notices = session()
    assert chat.command("/help") and said(notices) == HELP + "\n"
    assert chat.command("/nope") and said(notices) == "Unknown command /nope; /help lists them.\n"
    assert not await chat.handle("/quit") and not chat.command("/exit")


async def test_errors_keep_the_session_and_an_expired_conversation_is_forgotten() -> None:
    chat, out, notices = session(
        [TextDelta("Half"), errors.Busy("busy")], [errors.ConversationExpired("gone")]
    )
    assert await chat.handle("one")
    assert said(notices) == f"g4f: error: Busy: {errors.Busy('busy')}\n"
    assert chat.conversation is not None
    assert await chat.handle("two")
    assert said(notices).endswith("The next question starts a new conversation.\n")
    assert chat.conversation is None
    await chat.handle("three")
    assert out.getvalue() == "Half\nEcho: three\n"


def test_retries_of_create_are_shown_on_a_terminal() -> None:
    stderr = io.StringIO()
    output = TerminalOutput(io.StringIO(), stderr)
    factory = Factory(FakeBackend())
    options = ChatOptions(retries=4, backend_for=factory)
    asyncio.run(one_shot(options, "Hi", output))
    retry = factory.options["retry"]
    assert retry.attempts == 4 and retry.on_retry == output.retrying  # wired to the output
    output.retrying(errors.ServerError("500"), 2.4, 2, 4)
    assert stderr.getvalue().endswith("\r\x1b[K\x1b[2mServerError: retrying in 2 s (2/4)\x1b[0m\n")
