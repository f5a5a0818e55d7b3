"""Issue 17 on the surfaces: the 2026 Chathub reached from ``g4f chat --json`` (in-process
through :func:`g4f.cli.main`) and from the API through the official ``openai`` package, against
the hub — ``g4f token``, ``--plan``, a pasted URL in ``--token-file``, one set of tone names,
the token's warnings, every answer form of §5, uploads, 429 with ``Retry-After``, and the
interactive session's details."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from g4f import cli
from g4f.api import ApiThread
from g4f.api.notices import log_upstream_warning
from g4f.cli.chat import ChatOptions, ChatSession, one_shot, open_client
from g4f.cli.multiline import read_question
from g4f.cli.options import parse
from g4f.cli.output import Output, TerminalOutput
from g4f.cli.services import check_given, loaded_options
from g4f.cli.warnings import with_warn
from g4f.client import NO_RETRY, Timeouts
from g4f.hub import Hub, make_encrypted_test_token, make_test_token
from g4f.hub.m365 import TEST_OID, TEST_TID
from g4f.services import Image
from g4f.services.m365 import TONES, friendly_name

from .common import PROMPT, USER, api_settings
from .test_m365_surfaces import MAGIC_ANSWER, PNG, PNG_URL, g4f, json_lines

PLAN_QUERY = {  # --plan → the query's licenseType, agent, scenario, isEdu (M365-CHATHUB.md §2)
    "work": ("Starter", "web", "OfficeWebIncludedCopilot", "false"),
    "school": ("Starter", "web", "OfficeWebIncludedCopilot", "true"),
    "premium": ("Premium", "work", "officeweb", "false"),
    "consumer": ("Starter", "web", "OfficeWebPaidConsumerCopilot", "false"),
}


def pasted_url(token: str, scenario: str = "OfficeWebPaidConsumerCopilot") -> str:
    """A websocket URL as a user copies it from the browser (its host is replaced by --url)."""
    return (
        f"wss://substrate.svc.cloud.microsoft/m365Copilot/Chathub/{TEST_OID}@{TEST_TID}"
        "?chatsessionid=old&clientrequestid=old&XRoutingParameterSessionKey=old"
        f"&X-SessionId=old-session&ConversationId=old-conv&access_token={token}"
        f"&source=%22officeweb%22&licenseType=Starter&agent=web&scenario={scenario}"
        "&isEdu=false&variants=feature.x"
    )


def private_file(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return private_file(tmp_path / "m365-token", make_test_token() + "\n")


def chat(thread_hub: str, token_file: Path, *args: str) -> tuple[int, list[dict[str, object]], str]:
    """``g4f chat --service m365 --json`` against the hub: exit status, events, stderr."""
    result = g4f(
        "chat", "--service", "m365", "--url", thread_hub, "--token-file", str(token_file),
        "--json", *args,
    )  # fmt: skip
    return result.returncode, json_lines(result.stdout), result.stderr


def text_of(events: list[dict[str, object]]) -> str:
    return "".join(str(e.get("text", "")) for e in events if e["type"] == "text_delta")


@pytest.fixture
def oai_for(thread_hub: str, token_file: Path) -> Iterator[object]:
    """``oai_for(**options)``: an ``openai.OpenAI`` on a ``g4f api`` in front of the hub."""
    threads: list[ApiThread] = []
    clients: list[openai.OpenAI] = []

    def make(**options: object) -> openai.OpenAI:
        settings = api_settings(
            service="m365",
            url=thread_hub,
            token_file=options.pop("token_file", token_file),
            retry=NO_RETRY,
            timeouts=Timeouts(read=30, ping_interval=1, stop=30),
            **options,
        )
        thread = ApiThread(settings)
        threads.append(thread)
        url = thread.__enter__()
        client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for thread in threads:
        thread.__exit__(None, None, None)


# -- g4f token ---------------------------------------------------------------------------------


def token_cmd(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args_ns = parse(["token", *args])
    code = cli.token.token_command(
        args_ns, stdout=out, stderr=err, stdin=io.StringIO(stdin), environ=env or {}
    )
    return code, out.getvalue(), err.getvalue()


def test_token_shows_what_a_token_holds_never_the_token(token_file: Path) -> None:
    token = token_file.read_text().strip()
    code, out, err = token_cmd(str(token_file))
    assert code == 0, err
    assert f"oid:      {TEST_OID}" in out and f"tenant:   {TEST_TID}" in out
    assert "audience: https://substrate.office.com/sydney" in out
    assert "account:  work (default; say --plan otherwise)" in out
    assert "host:     substrate.office.com" in out
    assert token not in out + err and token.split(".")[1] not in out + err


def test_token_warns_of_a_file_others_can_read_as_ssh_does(token_file: Path) -> None:
    token_file.chmod(0o644)
    code, _out, err = token_cmd(str(token_file))
    assert code == 1
    assert "g4f: warning: the token file is readable by others (mode 0644): chmod 600 it" in err


@pytest.mark.parametrize(
    ("claims", "code", "words"),
    [
        ({"lifetime": -7200}, 5, "it expired 2 hours ago"),
        ({"lifetime": 200}, 1, "copy a fresh one soon"),
        ({"audience": "https://graph.microsoft.com"}, 1, "its audience is"),
        (None, 5, "the token is malformed"),
    ],
)
def test_token_says_what_is_wrong(claims: dict[str, Any] | None, code: int, words: str) -> None:
    token = make_test_token(**claims) if claims is not None else "not a token"  # made now
    status, out, err = token_cmd(stdin=token)
    assert status == code and words in out and words in err
    assert "source:   standard input" in out


def test_token_strips_a_bearer_prefix_and_says_so() -> None:
    code, out, _ = token_cmd("-", stdin="Bearer " + make_test_token())
    assert code == 0 and "the `Bearer ` prefix is not part of the token" in out


def test_token_reads_a_pasted_consumer_url_from_the_environment() -> None:
    token = make_encrypted_test_token()
    code, out, err = token_cmd(env={"M365_COPILOT_TOKEN": pasted_url(token)})
    assert code == 0, err
    assert "source:   $M365_COPILOT_TOKEN" in out and "expires:  encrypted: unknown" in out
    assert "account:  consumer (from the pasted URL)" in out
    assert "host:     substrate.svc.cloud.microsoft" in out and token not in out


def test_token_without_one_is_a_usage_error() -> None:
    code, _, err = token_cmd()
    assert code == 2 and "no token" in err and "M365_COPILOT_TOKEN" in err


def test_token_refuses_a_fifo_and_a_huge_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, _, err = token_cmd(str(fifo))
    assert code == 5 and "FIFO" in err
    huge = private_file(tmp_path / "huge", "x" * (65 * 1024))
    code, _, err = token_cmd(str(huge))
    assert code == 5 and "larger than 65536 bytes" in err


def test_token_through_main_reads_the_file(
    token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["token", str(token_file)]) == 0
    assert f"oid:      {TEST_OID}" in capsys.readouterr().out


# -- --plan, pasted URLs --------------------------------------------------------------------------


@pytest.mark.parametrize("plan", sorted(PLAN_QUERY))
def test_plan_reaches_the_query_from_the_command(
    hub: Hub, thread_hub: str, token_file: Path, plan: str
) -> None:
    code, events, err = chat(thread_hub, token_file, "--plan", plan, PROMPT)
    assert code == 0, err and text_of(events) == MAGIC_ANSWER
    (query,) = hub.m365.queries
    assert (query["licenseType"], query["agent"], query["scenario"], query["isEdu"]) == (
        PLAN_QUERY[plan]
    )


def test_plan_reaches_the_query_from_the_api(hub: Hub, oai_for: object) -> None:
    oai = oai_for(plan="premium")  # type: ignore[operator]
    completion = oai.chat.completions.create(model="m365-copilot", messages=USER)
    assert completion.choices[0].message.content == MAGIC_ANSWER
    (query,) = hub.m365.queries
    assert (query["licenseType"], query["agent"], query["scenario"]) == PLAN_QUERY["premium"][:3]


def test_plan_is_an_m365_option_with_its_choices() -> None:
    result = g4f("chat", "--plan", "school", "--local", "Hi")
    assert result.returncode == 2 and "--plan needs --service m365" in result.stderr
    with pytest.raises(SystemExit):
        parse(["chat", "--service", "m365", "--plan", "enterprise", "Hi"])
    args = parse(["api", "--service", "m365", "--plan", "consumer"])
    assert loaded_options(args, check_given(args, "api")) == {"plan": "consumer"}


def test_a_pasted_url_in_the_token_file_gives_path_token_and_account(
    hub: Hub, thread_hub: str, tmp_path: Path
) -> None:
    token = make_encrypted_test_token()
    pasted = private_file(tmp_path / "url", pasted_url(token))
    code, events, err = chat(thread_hub, pasted, "--plan", "premium", PROMPT)
    assert code == 0, err
    assert text_of(events) == MAGIC_ANSWER
    (query,) = hub.m365.queries
    assert query["scenario"] == "OfficeWebPaidConsumerCopilot"  # the URL's, not --plan's
    assert query["variants"] == "feature.x"
    assert "old" not in (query["chatsessionid"], query["ConversationId"])
    assert err.count("g4f: warning: the token is encrypted") == 1  # its expiry is unknown
    invocation = hub.m365.invocations[0]
    assert invocation["clientInfo"]["clientPlatform"] == "mcmcopilot-web"


def test_a_pasted_url_reaches_the_hub_from_the_api(
    hub: Hub, oai_for: object, tmp_path: Path
) -> None:
    pasted = private_file(tmp_path / "url", pasted_url(make_encrypted_test_token(), "officeweb"))
    oai = oai_for(token_file=pasted)  # type: ignore[operator]
    completion = oai.chat.completions.create(model="m365-copilot", messages=USER)
    assert completion.choices[0].message.content == MAGIC_ANSWER
    assert hub.m365.queries[0]["scenario"] == "officeweb"
    assert hub.m365.metrics_with_invocation == 1 and hub.m365.pings_before_invocation == 1


# -- tones: one set of names -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["Gpt_Quick", "m365-gpt-quick", "m365/Gpt_Quick", "gpt-quick"])
def test_the_command_and_the_api_take_the_same_tone_names(
    hub: Hub, thread_hub: str, token_file: Path, oai_for: object, name: str
) -> None:
    code, _, err = chat(thread_hub, token_file, "--model", name, PROMPT)
    assert code == 0, err
    oai = oai_for()  # type: ignore[operator]
    oai.chat.completions.create(model=name, messages=USER)
    assert [a["tone"] for a in hub.m365.invocations] == ["Gpt_Quick", "Gpt_Quick"]


def test_models_lists_the_2026_tones(oai_for: object) -> None:
    oai = oai_for()  # type: ignore[operator]
    listed = [m.id for m in oai.models.list()]
    assert listed == [friendly_name(tone) for tone in TONES]
    assert "m365-gpt-5-6-reasoning" in listed and "m365-claude-opus" in listed


def test_a_dead_tone_is_refused_naming_it_on_both_surfaces(
    hub: Hub, thread_hub: str, token_file: Path, oai_for: object
) -> None:
    hub.m365.scenario = "dead-tone"
    code, events, _ = chat(thread_hub, token_file, "--model", "Claude_Opus", PROMPT)
    assert code == 13 and events[-1]["error"] == "UnknownTone"
    assert "Claude_Opus" in str(events[-1]["message"])
    assert "not available for this account" in str(events[-1]["message"])
    oai = oai_for()  # type: ignore[operator]
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="m365-claude-opus", messages=USER)
    assert caught.value.code == "model_not_found" and "Claude_Opus" in str(caught.value)


# -- every answer form of §5 -----------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["captured-2026", "no-result", "result-only"])
def test_every_successful_form_through_both_surfaces(
    hub: Hub, thread_hub: str, token_file: Path, oai_for: object, scenario: str
) -> None:
    hub.m365.scenario = scenario
    code, events, err = chat(thread_hub, token_file, PROMPT)
    assert code == 0, err
    assert text_of(events) == MAGIC_ANSWER and events[-1]["type"] == "final"
    oai = oai_for()  # type: ignore[operator]
    completion = oai.chat.completions.create(model="m365-copilot", messages=USER)
    assert completion.choices[0].message.content == MAGIC_ANSWER  # result-only: its message
    chunks = list(oai.chat.completions.create(model="m365-copilot", messages=USER, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == MAGIC_ANSWER


@pytest.mark.parametrize(
    ("scenario", "code", "name", "status", "words"),
    [
        ("bare-completion", 1, "InvocationRejected", 502, "update g4f-bing"),
        ("rate-notice", 3, "RateLimited", 429, "rate-limit notice"),
        ("thread-rate", 3, "RateLimited", 429, "new conversations fast"),
    ],
)
def test_every_failing_form_through_both_surfaces(
    hub: Hub,
    thread_hub: str,
    token_file: Path,
    oai_for: object,
    scenario: str,
    code: int,
    name: str,
    status: int,
    words: str,
) -> None:
    hub.m365.scenario = scenario
    exit_code, events, err = chat(thread_hub, token_file, PROMPT)
    assert exit_code == code and events[-1]["error"] == name
    assert words in str(events[-1]["message"]) + err
    # Nothing streamed as an answer: the notice's words are held back until they are known
    # for the error they are.
    assert text_of(events) == ""
    oai = oai_for()  # type: ignore[operator]
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(model="m365-copilot", messages=USER)
    assert caught.value.status_code == status


def test_429_at_the_upgrade_is_429_with_retry_after(
    hub: Hub, thread_hub: str, token_file: Path, oai_for: object
) -> None:
    hub.m365.scenario = "throttled-upgrade"
    code, events, _ = chat(thread_hub, token_file, PROMPT)
    assert code == 3 and events[-1]["error"] == "RateLimited" and events[-1]["retry_after"] == 37
    oai = oai_for()  # type: ignore[operator]
    with pytest.raises(openai.RateLimitError) as caught:
        oai.chat.completions.create(model="m365-copilot", messages=USER)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "37"
    with pytest.raises(openai.RateLimitError) as streamed:
        list(oai.chat.completions.create(model="m365-copilot", messages=USER, stream=True))
    assert streamed.value.response.headers["Retry-After"] == "37"


# -- uploads ---------------------------------------------------------------------------------


def test_uploads_from_image_and_image_url_are_form_urlencoded(
    hub: Hub, thread_hub: str, token_file: Path, oai_for: object, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    code, events, err = chat(thread_hub, token_file, "--image", str(image), "What is it?")
    assert code == 0, err and "I see the image cat.png" in text_of(events)
    oai = oai_for()  # type: ignore[operator]
    content = [
        {"type": "text", "text": "What is it?"},
        {"type": "image_url", "image_url": {"url": PNG_URL}},
    ]
    oai.chat.completions.create(
        model="m365-copilot", messages=[{"role": "user", "content": content}]
    )
    forms = list(hub.m365.upload_forms)
    assert [f["content_type"] for f in forms] == ["application/x-www-form-urlencoded"] * 2
    assert [f["optionsSets"] for f in forms] == [["gptvpng2048"]] * 2
    annotations = [a["message"]["messageAnnotations"] for a in hub.m365.invocations]
    assert [a[0]["messageAnnotationType"] for a in annotations] == ["ImageFile", "ImageFile"]


# -- the token's warning before a turn ---------------------------------------------------------


def test_the_command_warns_once_of_a_token_about_to_expire(
    hub: Hub, thread_hub: str, tmp_path: Path
) -> None:
    soon = private_file(tmp_path / "soon", make_test_token(lifetime=120))
    code, _, err = chat(thread_hub, soon, PROMPT)
    assert code == 0, err
    lines = [line for line in err.splitlines() if "expires in" in line]
    assert len(lines) == 1 and lines[0].startswith("g4f: warning: the token expires in")


def test_the_command_passes_warn_only_to_a_service_taking_it() -> None:
    args = parse(["chat", "--service", "m365", "Hi"])
    assert "warn" in with_warn(check_given(args, "chat"), {})
    args = parse(["chat", "Hi"])
    assert with_warn(check_given(args, "chat"), {}) == {}


def test_the_api_logs_the_warning(
    hub: Hub, oai_for: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    soon = private_file(tmp_path / "soon", make_test_token(lifetime=120))
    oai = oai_for(token_file=soon, warn=log_upstream_warning)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="g4f.api.notices"):
        oai.chat.completions.create(model="m365-copilot", messages=USER)
    (record,) = [r for r in caplog.records if r.name == "g4f.api.notices"]
    assert record.levelno == logging.WARNING and "the token expires in" in record.getMessage()


# -- the interactive session -------------------------------------------------------------------


class Session:
    def __init__(self, session: ChatSession, out: io.StringIO, notices: io.StringIO) -> None:
        self.session, self.out, self.notices = session, out, notices

    async def type(self, line: str) -> str:
        for buffer in (self.out, self.notices):
            buffer.seek(0)
            buffer.truncate()
        assert await self.session.handle(line)
        return self.out.getvalue() + self.notices.getvalue()


async def _session(hub_url: str, service: str = "m365", **more: object) -> tuple[Session, object]:
    out, notices = io.StringIO(), io.StringIO()
    options = {"token": make_test_token()} if service == "m365" else {}
    chat_options = ChatOptions(url=hub_url, service=service, service_options=options, **more)  # type: ignore[arg-type]
    output = Output(out, notices)
    context = open_client(chat_options, output)
    backend = await context.__aenter__()
    return Session(ChatSession(chat_options, output, backend), out, notices), context


async def test_image_applies_to_the_first_question_and_slash_image_to_the_next(
    hub: Hub, hub_url: str, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    chat, context = await _session(hub_url, images=(Image.from_file(image),))
    try:
        assert "I see the image cat.png" in await chat.type("What is it?")
        assert "I see the image" not in await chat.type("And now?")
        assert "Attached" in await chat.type(f"/image {image}")
        assert "I see the image cat.png" in await chat.type("This one?")
        assert "Could not attach" in await chat.type(f"/image {tmp_path / 'missing.png'}")
    finally:
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]
    assert len(hub.m365.uploads) == 2
    annotated = [bool(a["message"]["messageAnnotations"]) for a in hub.m365.invocations]
    assert annotated == [True, False, True]


async def test_a_refused_tone_does_not_stay_selected_nor_get_saved(
    hub: Hub, hub_url: str, tmp_path: Path
) -> None:
    saved = tmp_path / "c.json"
    chat, context = await _session(hub_url)
    try:
        await chat.type("/model m365-claude-sonnet")
        assert "Style: Claude_Sonnet, turn 1." in await chat.type("hi")
        assert "Model: Gpt_Imaginary" in await chat.type("/model Gpt_Imaginary")
        said = await chat.type("again")
        assert "UnknownTone" in said and "Model: back to Claude_Sonnet." in said
        await chat.type(f"/save {saved}")
        assert "Style: Claude_Sonnet, turn 2." in await chat.type("third")
    finally:
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]
    assert json.loads(saved.read_text())["tone"] == "Claude_Sonnet"
    assert [a["tone"] for a in hub.m365.invocations] == [
        "Claude_Sonnet",
        "Gpt_Imaginary",
        "Claude_Sonnet",
    ]


async def test_options_of_the_other_service_are_refused_in_the_session(hub_url: str) -> None:
    chat, context = await _session(hub_url)
    try:
        assert "/style is for Bing (--service bing)." in await chat.type("/style creative")
    finally:
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]
    bing, context = await _session(hub_url, service="bing")
    try:
        assert "/model is for Microsoft 365 Copilot" in await bing.type("/model Gpt_Quick")
        assert "/image is for Microsoft 365 Copilot" in await bing.type("/image cat.png")
    finally:
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]


def test_a_trailing_backslash_continues_the_question_and_help_says_so() -> None:
    lines = iter(["first line \\", "second \\", "third"])
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        return next(lines)

    assert read_question(read) == "first line \nsecond \nthird"
    assert prompts == ["> ", "… ", "… "]
    from g4f.cli.chat import HELP

    assert "backslash" in HELP and "/image FILE" in HELP


async def test_the_turn_counter_is_shown_once(hub: Hub, hub_url: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    options = ChatOptions(url=hub_url, service="m365", service_options={"token": make_test_token()})
    hub.m365.scenario = "captured-2026"
    await one_shot(options, PROMPT, TerminalOutput(out, err, color=False))
    assert out.getvalue().count("(turn 1 of 600)") == 1


def test_help_of_chat_and_api_lists_plan_and_token(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("chat", "api", "token"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
    shown = capsys.readouterr().out
    assert shown.count("--plan KIND") >= 2 and "never printed" in shown
