"""The Chat API's services (``graph``, ``workiq``) on every surface, against the hub: the Python
``Client(service=…)``, ``g4f chat`` (``--json``, ``--no-search``, ``--file``, in-process through
:func:`g4f.cli.main`), the interactive session's ``/file`` and ``/web``, and ``g4f api`` with the
official ``openai`` package (models, conversations kept across restarts, what is refused, a
conversation the service forgot dropped from the store)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from g4f import errors
from g4f.api import ApiSettings, ApiThread, StoreSettings, Upstream
from g4f.cli.chat import ChatOptions, ChatSession
from g4f.cli.output import Output
from g4f.client import NO_RETRY
from g4f.engine.fake import FakeBackend
from g4f.hub import Hub, HubThread
from g4f.hub.chatapi import make_chatapi_token
from g4f.openai import Client

from .test_cli import main

BASES = {"graph": "/beta/copilot", "workiq": "/rest"}
DOC = "https://contoso.sharepoint.com/sites/Eng/Shared%20Documents/Spec.docx"


@pytest.fixture
def chatapi_hub() -> Iterator[tuple[Hub, str]]:
    hub = Hub()
    with HubThread(hub) as url:
        yield hub, url


def _base(url: str, service: str = "graph") -> str:
    return url + BASES[service]


def _token_file(tmp_path: Path, service: str = "graph") -> Path:
    path = tmp_path / f"{service}-token"
    path.write_text(make_chatapi_token(service) + "\n")
    return path


def _last_body(hub: Hub) -> dict[str, Any]:
    body = hub.chatapi.requests[-1]["body"]
    assert isinstance(body, dict)
    return body


# --- the Python client -------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["graph", "workiq"])
def test_client_service_runs_through_the_registry(
    chatapi_hub: tuple[Hub, str], service: str
) -> None:
    hub, url = chatapi_hub
    client = Client(service=service, url=_base(url, service), token=make_chatapi_token(service))
    answer = client.chat.completions.create(
        messages=[{"role": "user", "content": "Hi there"}], search=False, files=[DOC]
    )
    assert answer.model == f"{service}-copilot"  # type: ignore[union-attr]
    assert answer.choices[0].message.content.startswith("You said: «Hi there»")  # type: ignore[union-attr]
    assert _last_body(hub)["contextualResources"] == {
        "files": [{"uri": DOC}],
        "webContext": {"isWebEnabled": False},
    }


def test_client_refuses_documents_and_images_where_the_service_cannot() -> None:
    with pytest.raises(errors.BadRequest, match="reads no documents"):
        Client(service="bing").chat.completions.create(
            messages=[{"role": "user", "content": "Hi"}], files=[DOC]
        )
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    with pytest.raises(errors.BadRequest, match="takes no images"):
        Client(service="graph", token="t").chat.completions.create(
            messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}, image]}]
        )


# --- g4f chat ----------------------------------------------------------------------------------


def test_chat_json_with_no_search_and_files_reaches_the_service(
    chatapi_hub: tuple[Hub, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub, url = chatapi_hub
    result = main(
        capsys, "chat", "--service", "graph", "--url", _base(url), "--token-file",
        str(_token_file(tmp_path)), "--json", "--no-search", "--file", DOC, "--file", DOC + "2",
        "--time-zone", "Europe/Paris", "What is in the spec?",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1]["type"] == "final"
    assert lines[-1]["text"].startswith("You said: «What is in the spec?»")
    body = _last_body(hub)
    assert body["locationHint"] == {"timeZone": "Europe/Paris"}
    assert body["contextualResources"]["files"] == [{"uri": DOC}, {"uri": DOC + "2"}]
    assert body["contextualResources"]["webContext"] == {"isWebEnabled": False}


def test_chat_with_search_sends_no_web_context(
    chatapi_hub: tuple[Hub, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub, url = chatapi_hub
    token = str(_token_file(tmp_path, "workiq"))
    result = main(capsys, "chat", "--service", "workiq", "--url", _base(url, "workiq"),
                  "--token-file", token, "Hi")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("You said: «Hi»")
    assert "contextualResources" not in _last_body(hub)


def test_chat_file_is_refused_for_a_service_without_documents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = main(capsys, "chat", "--file", DOC, "Hi")
    assert result.returncode == 2
    assert "--file needs --service graph or --service workiq" in result.stderr
    result = main(capsys, "chat", "--service", "graph", "--file", "http://x/doc", "Hi")
    assert result.returncode == 2
    assert "SharePoint or OneDrive https:// URL" in result.stderr


def test_chat_without_a_sign_in_says_to_run_g4f_login(
    chatapi_hub: tuple[Hub, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("G4F_STATE_DIR", str(tmp_path / "nobody"))
    monkeypatch.delenv("G4F_GRAPH_TOKEN_FILE", raising=False)
    _, url = chatapi_hub
    result = main(capsys, "chat", "--service", "graph", "--url", _base(url), "Hi")
    assert result.returncode == 5
    assert "run `g4f login --service graph" in result.stderr


def test_the_interactive_session_switches_documents_and_web_grounding() -> None:
    backend = FakeBackend()
    output = Output(open_null(), open_null())
    session = ChatSession(ChatOptions(service="graph", files=(DOC,)), output, backend)

    async def run() -> None:
        await session.handle("first")
        await session.handle("/web off")
        await session.handle("/file " + DOC + "2")
        await session.handle("second")
        await session.handle("/file off")
        await session.handle("/web on")
        await session.handle("third")

    asyncio.run(run())
    asked = [(a.search, a.files) for a in backend.asked]
    assert asked == [(True, (DOC,)), (False, (DOC, DOC + "2")), (True, ())]


def test_interactive_file_and_web_say_which_services_take_them() -> None:
    from g4f.engine.backend import Capabilities

    lines: list[str] = []

    class Notes(Output):
        def notice(self, text: str) -> None:
            lines.append(text)

    backend = FakeBackend(capabilities=Capabilities())
    session = ChatSession(ChatOptions(), Notes(open_null(), open_null()), backend)
    asyncio.run(session.handle("/file " + DOC))
    asyncio.run(session.handle("/web off"))
    assert "/file is for" in lines[0] and "--service graph" in lines[0]
    assert "/web is for" in lines[1] and "--service bing" in lines[1]


def open_null() -> Any:
    import io

    return io.StringIO()


# --- g4f api with the openai package -----------------------------------------------------------


def _settings(url: str, tmp_path: Path, service: str = "graph") -> ApiSettings:
    return ApiSettings(
        upstream=Upstream.of(service, url=_base(url, service), retry=NO_RETRY,
                             token_file=_token_file(tmp_path, service)),
        store=StoreSettings(url=f"sqlite:///{tmp_path / 'store.db'}"),
    )  # fmt: skip


def _oai(api_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=api_url + "/v1", api_key="unused", max_retries=0)


def test_api_lists_the_entry_models_and_keeps_conversations_across_restarts(
    chatapi_hub: tuple[Hub, str], tmp_path: Path
) -> None:
    hub, url = chatapi_hub
    settings = _settings(url, tmp_path)
    with ApiThread(settings) as api_url, _oai(api_url) as oai:
        assert [m.id for m in oai.models.list()] == ["graph-copilot"]
        first = oai.chat.completions.create(
            model="graph-copilot",
            messages=[{"role": "system", "content": "Be brief."},
                      {"role": "user", "content": "one"}],
            extra_body={"g4f_search": False, "g4f_files": [DOC]},
        )  # fmt: skip
        conversation_id = first.model_extra["conversation_id"]  # type: ignore[index]
        assert conversation_id in hub.chatapi.conversations
        body = _last_body(hub)
        assert body["additionalContext"] == [
            {"text": "Be brief.", "description": "an earlier message from system"}
        ]
        assert body["contextualResources"]["files"] == [{"uri": DOC}]
    with ApiThread(settings) as api_url, _oai(api_url) as oai:  # a restart: the same store
        chunks = oai.chat.completions.create(
            model="graph-copilot",
            messages=[{"role": "user", "content": "two"}],
            stream=True,
            extra_body={"conversation_id": conversation_id},
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.startswith("You said: «two»")
    assert "additionalContext" not in _last_body(hub)  # the service keeps the history
    path = hub.chatapi.requests[-1]["path"]
    assert path.startswith(f"/beta/copilot/conversations/{conversation_id}/")


def test_api_refuses_images_tools_and_bing_documents_with_400(
    chatapi_hub: tuple[Hub, str], tmp_path: Path
) -> None:
    _, url = chatapi_hub
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with ApiThread(_settings(url, tmp_path)) as api_url, _oai(api_url) as oai:
        with pytest.raises(openai.BadRequestError, match="takes no images"):
            oai.chat.completions.create(
                model="graph-copilot",
                messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}, image]}],  # type: ignore[list-item]
            )
        with pytest.raises(openai.BadRequestError, match="no tool or function calls"):
            oai.chat.completions.create(
                model="graph-copilot", messages=[{"role": "user", "content": "Hi"}], tools=[tool]  # type: ignore[list-item]
            )
        with pytest.raises(openai.BadRequestError, match="https:// URL"):
            oai.chat.completions.create(
                model="graph-copilot",
                messages=[{"role": "user", "content": "Hi"}],
                extra_body={"g4f_files": ["file:///etc/passwd"]},
            )


def test_api_drops_a_conversation_the_service_forgot_and_says_to_start_anew(
    chatapi_hub: tuple[Hub, str], tmp_path: Path
) -> None:
    hub, url = chatapi_hub
    with ApiThread(_settings(url, tmp_path)) as api_url, _oai(api_url) as oai:
        first = oai.chat.completions.create(
            model="graph-copilot", messages=[{"role": "user", "content": "one"}]
        )
        conversation_id = first.model_extra["conversation_id"]  # type: ignore[index]
        hub.chatapi.conversations.clear()  # the service forgot it (expired)
        again = {"conversation_id": conversation_id}
        with pytest.raises(openai.APIStatusError) as gone:
            oai.chat.completions.create(
                model="graph-copilot", messages=[{"role": "user", "content": "two"}],
                extra_body=again,
            )  # fmt: skip
        assert gone.value.status_code == 502
        message = str(gone.value)
        assert gone.value.code == "conversation_expired" and "start a new one" in message
        assert "dropped from this server" in message
        with pytest.raises(openai.NotFoundError, match="unknown or expired"):
            oai.chat.completions.create(
                model="graph-copilot", messages=[{"role": "user", "content": "two"}],
                extra_body=again,
            )  # fmt: skip
        fresh = oai.chat.completions.create(
            model="graph-copilot", messages=[{"role": "user", "content": "three"}]
        )
        assert fresh.model_extra["conversation_id"] != conversation_id  # type: ignore[index]


def test_the_events_endpoint_takes_documents_and_drops_a_forgotten_conversation(
    chatapi_hub: tuple[Hub, str], tmp_path: Path
) -> None:
    import httpx

    hub, url = chatapi_hub
    with ApiThread(_settings(url, tmp_path)) as api_url:
        body = {"messages": [{"role": "user", "content": "Hi"}], "g4f_files": [DOC],
                "g4f_search": False}  # fmt: skip
        first = httpx.post(api_url + "/v1/g4f/chat", json=body, timeout=30)
        assert first.status_code == 200 and "event: final" in first.text
        assert _last_body(hub)["contextualResources"]["files"] == [{"uri": DOC}]
        start = json.loads(first.text.split("data: ", 1)[1].split("\n", 1)[0])
        hub.chatapi.conversations.clear()
        again = {"messages": [{"role": "user", "content": "Hi"}],
                 "conversation_id": start["conversation_id"]}  # fmt: skip
        gone = httpx.post(api_url + "/v1/g4f/chat", json=again, timeout=30)
        assert gone.json()["error"]["code"] == "conversation_expired"
        missing = httpx.post(api_url + "/v1/g4f/chat", json=again, timeout=30)
        assert missing.status_code == 404


def test_ready_shows_no_form_of_a_token_the_service_echoes(
    chatapi_hub: tuple[Hub, str], tmp_path: Path
) -> None:
    import httpx

    hub, url = chatapi_hub
    hub.chatapi.scenario = "echo_500"
    settings = _settings(url, tmp_path)
    token = _token_file(tmp_path).read_text().strip()
    with ApiThread(settings) as api_url:
        response = httpx.get(api_url + "/ready", timeout=30)
    assert response.status_code == 503
    assert "<redacted>" in response.text and "Upstream failed" in response.text
    quoted = "".join(f"%{byte:02X}" for byte in token.encode())
    assert token not in response.text and token.split(".")[1] not in response.text
    assert quoted not in response.text
