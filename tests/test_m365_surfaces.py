"""Microsoft 365 Copilot on every surface: the OpenAI-compatible API driven by the official
``openai`` package, the OpenAI-style Python client, and the ``g4f`` command as a real process —
all against the hub, with a test token the hub accepts."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import httpx
import openai
import pytest

from g4f import cli
from g4f.api import ApiThread
from g4f.client import NO_RETRY, Client, Timeouts
from g4f.hub import Hub, HubThread, Reply, make_test_token
from g4f.models import models_of
from g4f.services.m365 import TONES

from .common import ANSWER, PROMPT, USER, api_settings

MAGIC_ANSWER = ANSWER.replace("Style: Precise", "Style: Magic")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "m365-token"
    path.write_text("\n  " + make_test_token() + "  \n")  # surrounding whitespace is ignored
    return path


@pytest.fixture
def api_url(thread_hub: str, token_file: Path) -> Iterator[str]:
    settings = api_settings(
        service="m365",
        url=thread_hub,
        token_file=token_file,
        retry=NO_RETRY,
        timeouts=Timeouts(read=30, ping_interval=1, stop=30),
        max_body_bytes=4 << 20,
    )
    with ApiThread(settings) as url:
        yield url


@pytest.fixture
def oai(api_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=api_url + "/v1", api_key="unused", max_retries=0) as client:
        yield client


# -- the API, through the official openai package ---------------------------------------------


def test_the_api_answers_with_the_default_tone(hub: Hub, oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == MAGIC_ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert hub.m365.invocations[0]["tone"] == "Magic"


def test_the_api_streams(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="m365-copilot", messages=USER, stream=True))  # type: ignore[call-overload]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == MAGIC_ANSWER and chunks[-1].choices[0].finish_reason == "stop"


def test_models_list_the_tones_and_any_tone_passes_through(hub: Hub, oai: openai.OpenAI) -> None:
    listed = [m.id for m in oai.models.list()]
    assert listed == [m.id for m in models_of("m365")]
    assert "m365-copilot" in listed and "m365-claude-sonnet" in listed and "gpt-4" not in listed
    oai.chat.completions.create(model="m365-gpt-reasoning", messages=USER)  # type: ignore[arg-type]
    oai.chat.completions.create(model="m365/Claude_Sonnet", messages=USER)  # type: ignore[arg-type]
    assert [a["tone"] for a in hub.m365.invocations] == ["Gpt_Reasoning", "Claude_Sonnet"]
    assert oai.models.retrieve("m365/Anything").id == "m365/Anything"


def test_a_tone_the_service_refuses_is_404_model_not_found(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="m365/Gpt_Imaginary", messages=USER)  # type: ignore[arg-type]
    assert caught.value.code == "model_not_found"
    assert "'Gpt_Imaginary'" in str(caught.value) and ", ".join(TONES) in str(caught.value)


def test_a_bing_model_is_unknown_to_the_m365_api(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="gpt-4", messages=USER)  # type: ignore[arg-type]
    assert "m365-copilot" in str(caught.value) and "m365/<Tone>" in str(caught.value)


def test_a_refusal_is_content_filter_with_the_text_so_far(hub: Hub, oai: openai.OpenAI) -> None:
    hub.m365.scenario = "disengaged"
    completion = oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
    assert completion.choices[0].finish_reason == "content_filter"
    assert completion.choices[0].message.content == ""


def test_an_image_data_url_is_uploaded_and_attached(hub: Hub, oai: openai.OpenAI) -> None:
    content = [
        {"type": "text", "text": "What is in it?"},
        {"type": "image_url", "image_url": {"url": PNG_URL}},
    ]
    completion = oai.chat.completions.create(
        model="m365-copilot",
        messages=[{"role": "user", "content": content}],  # type: ignore[list-item]
    )
    digest = hashlib.sha256(PNG).hexdigest()[:16]
    assert f"(png, {len(PNG)} bytes, sha256 {digest})" in (
        completion.choices[0].message.content or ""
    )
    (upload,) = hub.m365.uploads.values()
    assert upload.data == PNG


def test_a_remote_image_url_is_refused_and_never_fetched(hub: Hub, oai: openai.OpenAI) -> None:
    content = [
        {"type": "text", "text": "What is in it?"},
        {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/cat.png"}},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(
            model="m365-copilot",
            messages=[{"role": "user", "content": content}],  # type: ignore[list-item]
        )
    assert "not fetched" in str(caught.value)
    assert hub.m365.uploads == {} and list(hub.m365.invocations) == []


def test_a_conversation_id_continues_the_m365_conversation(hub: Hub, api_url: str) -> None:
    first = httpx.post(
        api_url + "/v1/chat/completions",
        json={"model": "m365-copilot", "messages": [{"role": "user", "content": "One"}]},
        timeout=30,
    ).json()
    second = httpx.post(
        api_url + "/v1/chat/completions",
        json={
            "model": "m365-copilot",
            "messages": [{"role": "user", "content": "Two"}],
            "conversation_id": first["conversation_id"],
        },
        timeout=30,
    ).json()
    assert "you last said: «One»" in second["choices"][0]["message"]["content"]
    assert [a["isStartOfSession"] for a in hub.m365.invocations] == [False, False]
    assert hub.m365.invocations[1]["message"]["text"] == "Two"


def test_earlier_messages_of_a_new_conversation_go_in_its_first_message(
    hub: Hub, oai: openai.OpenAI
) -> None:
    oai.chat.completions.create(
        model="m365-copilot",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
    )
    text = hub.m365.invocations[0]["message"]["text"]
    assert text == "[system](#message)\nBe brief.\n\n[user](#message)\nHi"


def test_a_client_that_disconnects_stops_the_answer(
    hub_thread: HubThread, hub: Hub, api_url: str
) -> None:
    hub.m365.scenario = "stop-wait"
    with httpx.stream(
        "POST",
        api_url + "/v1/chat/completions",
        json={"model": "m365-copilot", "messages": USER, "stream": True},
        timeout=30,
    ) as response:
        for line in response.iter_lines():
            if '"content"' in line and "You" in line:
                break  # the caller leaves while the answer streams
    hub_thread.wait_closed(timeout=30)
    assert hub.m365.stops_received == 1
    ((_, answer),) = next(iter(hub.m365.conversations.values())).history
    assert answer == "You have stopped this conversation."


def test_an_upstream_token_rejection_is_502_saying_so(hub: Hub, oai: openai.OpenAI) -> None:
    hub.m365.now = lambda: 4_000_000_000.0  # the hub thinks every token has expired
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
    assert caught.value.status_code == 502
    assert "rejected the token" in str(caught.value) and "copy a fresh token" in str(caught.value)


def test_a_refreshed_token_file_is_used_without_a_restart(
    hub: Hub, oai: openai.OpenAI, token_file: Path
) -> None:
    hub.m365.denied_oids = ("old-user",)
    token_file.write_text(make_test_token(oid="old-user"))
    with pytest.raises(openai.APIStatusError):
        oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
    token_file.write_text(make_test_token(oid="new-user-with-a-longer-id"))
    completion = oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == MAGIC_ANSWER


# -- the OpenAI-style Python client -------------------------------------------------------------


def test_the_python_client_takes_service_and_token(hub: Hub, thread_hub: str) -> None:
    client = Client(service="m365", token=make_test_token(), url=thread_hub)
    completion = client.chat.completions.create(
        model="m365-gpt-quick", messages=[{"role": "user", "content": PROMPT}]
    )
    assert completion.choices[0].message.content == ANSWER.replace("Precise", "Gpt_Quick")
    chunks = client.chat.completions.create(messages=USER, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == MAGIC_ANSWER


def test_the_python_client_checks_its_options_when_made() -> None:
    with pytest.raises(ValueError, match="service must be one of bing, m365"):
        Client(service="copilot")
    env = {k: v for k, v in os.environ.items() if k != "M365_COPILOT_TOKEN"}
    code = "from g4f.client import Client; Client(service='m365')"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert "NotAuthorized" in result.stderr and "--token-file" in result.stderr


# -- the command ----------------------------------------------------------------------------


def g4f_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``g4f ARGS`` as a real process, without the user's token."""
    clean = {k: v for k, v in os.environ.items() if k != "M365_COPILOT_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "g4f", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "PYTHONIOENCODING": "utf-8", **(env or {})},
    )


def g4f(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``g4f ARGS`` in-process (:func:`g4f.cli.main`), without the user's token."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env or {}), redirect_stdout(out), redirect_stderr(err):
        if "M365_COPILOT_TOKEN" not in (env or {}):
            os.environ.pop("M365_COPILOT_TOKEN", None)
        code = cli.main(list(args))
    return subprocess.CompletedProcess(["g4f", *args], code, out.getvalue(), err.getvalue())


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_chat_local_m365_streams_json_events() -> None:
    result = g4f_process("chat", "--service", "m365", "--local", "--json", PROMPT)
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)
    assert "".join(str(e.get("text", "")) for e in events if e["type"] == "text_delta") == (
        MAGIC_ANSWER
    )
    assert events[-1]["type"] == "final" and events[-1]["expiry_time"]


def test_chat_with_a_token_file_a_model_and_an_image(
    hub: Hub, thread_hub: str, token_file: Path, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    result = g4f(
        "chat",
        "--service",
        "m365",
        "--url",
        thread_hub,
        "--token-file",
        str(token_file),
        "--model",
        "Claude_Sonnet",
        "--image",
        str(image),
        "What is it?",
    )
    assert result.returncode == 0, result.stderr
    assert "Style: Claude_Sonnet" in result.stdout and "I see the image cat.png" in result.stdout
    assert hub.m365.invocations[0]["tone"] == "Claude_Sonnet"


def test_chat_with_an_unknown_tone_exits_13_naming_it(thread_hub: str, token_file: Path) -> None:
    result = g4f(
        "chat", "--service", "m365", "--url", thread_hub, "--token-file", str(token_file),
        "--model", "Gpt_Imaginary", "Hi",
    )  # fmt: skip
    assert result.returncode == 13
    assert "UnknownTone" in result.stderr and "'Gpt_Imaginary'" in result.stderr


@pytest.mark.parametrize(
    ("scenario", "code", "name"),
    [("disengaged", 12, "Refused"), ("throttled", 3, "RateLimited")],
)
def test_chat_json_reports_refusals_and_throttling(
    hub: Hub, thread_hub: str, token_file: Path, scenario: str, code: int, name: str
) -> None:
    hub.m365.scenario = scenario
    result = g4f(
        "chat", "--service", "m365", "--url", thread_hub, "--token-file", str(token_file),
        "--json", "Hi",
    )  # fmt: skip
    assert result.returncode == code
    (error,) = [e for e in json_lines(result.stdout) if e["type"] == "error"]
    assert error["error"] == name


def test_chat_without_a_token_says_how_to_pass_one(thread_hub: str) -> None:
    result = g4f("chat", "--service", "m365", "--url", thread_hub, "Hi")
    assert result.returncode == 5
    assert "--token-file" in result.stderr and "M365_COPILOT_TOKEN" in result.stderr


def test_options_of_the_other_service_are_usage_errors() -> None:
    result = g4f("chat", "--model", "Magic", "--local", "Hi")
    assert result.returncode == 2 and "--model needs --service m365" in result.stderr
    result = g4f("chat", "--service", "m365", "--cookies", "c.txt", "--local", "Hi")
    assert result.returncode == 2 and "--cookies needs --service bing" in result.stderr


def test_hub_prints_a_token_the_hub_accepts(thread_hub: str, tmp_path: Path) -> None:
    printed = g4f_process("hub", "--print-token")
    assert printed.returncode == 0 and printed.stdout.count(".") == 2
    result = g4f(
        "chat", "--service", "m365", "--url", thread_hub, "Hi",
        env={"M365_COPILOT_TOKEN": printed.stdout.strip()},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_api_without_a_token_refuses_to_start() -> None:
    result = g4f("api", "--service", "m365", "--port", "0")
    assert result.returncode == 2 and "no Microsoft 365 Copilot token" in result.stderr


def test_reply_scenarios_apply_to_m365_turns(hub: Hub, thread_hub: str, token_file: Path) -> None:
    hub.responder = lambda request: Reply("Declined.", scenario="disengaged")
    result = g4f(
        "chat", "--service", "m365", "--url", thread_hub, "--token-file", str(token_file), "Hi"
    )
    assert result.returncode == 12 and "declined this prompt" in result.stderr


# -- every hub scenario, through the command's --json and through the API -------------------------

EXPECTED = {  # scenario → (exit code, the error's class or None, the text is the whole answer)
    "stream": (0, None),
    "deltas": (0, None),
    "snapshots": (0, None),
    "markup": (0, None),
    "echo-only": (0, None),
    "search": (0, None),
    "ping-storm": (0, None),
    "disengaged": (12, "Refused"),
    "throttled": (3, "RateLimited"),
    "close": (9, "ConnectionClosed"),
    "close-error": (9, "ConnectionClosed"),
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_every_scenario_through_the_commands_json(
    hub: Hub, thread_hub: str, token_file: Path, scenario: str
) -> None:
    hub.m365.scenario = scenario
    result = g4f(
        "chat", "--service", "m365", "--url", thread_hub, "--token-file", str(token_file),
        "--json", PROMPT,
    )  # fmt: skip
    code, error = EXPECTED[scenario]
    assert result.returncode == code, result.stderr
    events = json_lines(result.stdout)
    text = "".join(str(e.get("text", "")) for e in events if e["type"] == "text_delta")
    if error is None:
        assert text == MAGIC_ANSWER and events[-1]["type"] == "final"
    else:
        assert events[-1]["type"] == "error" and events[-1]["error"] == error
        assert MAGIC_ANSWER.startswith(text)  # what streamed before the failure, nothing else
    if scenario == "search":
        assert any(e["type"] == "reasoning_progress" for e in events)
        assert any(e["type"] == "search_progress" for e in events)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_every_scenario_through_the_api_streaming_and_not(
    hub: Hub, oai: openai.OpenAI, scenario: str
) -> None:
    hub.m365.scenario = scenario
    _, error = EXPECTED[scenario]
    if error is None:
        completion = oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
        content = completion.choices[0].message.content or ""
        if scenario == "markup":  # not streamed: the final record's text is the answer
            assert "[^1^]" in content and content.startswith(MAGIC_ANSWER.split(".")[0])
        else:
            assert content == MAGIC_ANSWER
        chunks = list(
            oai.chat.completions.create(model="m365-copilot", messages=USER, stream=True)  # type: ignore[call-overload]
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == MAGIC_ANSWER
    elif error == "Refused":
        completion = oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
        assert completion.choices[0].finish_reason == "content_filter"
    else:
        with pytest.raises(openai.APIStatusError) as caught:
            oai.chat.completions.create(model="m365-copilot", messages=USER)  # type: ignore[arg-type]
        assert caught.value.status_code == (429 if error == "RateLimited" else 502)
