"""The Chat API client (graph, workiq) against the hub's Chat API side: every layout and answer
form, history, additional context, grounding and files, the §5 errors, stop, the registry."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from g4f.engine.retry import NO_RETRY
from g4f.errors import (
    AccessDenied,
    ConnectionClosed,
    ConversationExpired,
    NotAuthorized,
    RateLimited,
    Refused,
    ResponseTimeout,
    ServerError,
)
from g4f.hub import Hub, running_hub
from g4f.hub.chatapi import make_chatapi_token
from g4f.hub.growing import MAX_UPDATES
from g4f.protocol import Final, Sources, TextDelta
from g4f.services.chatapi import ChatApiClient
from g4f.services.registry import backend_for, entry

BASES = {"graph": "/beta/copilot", "workiq": "/rest"}


@pytest.fixture
async def hub_url() -> AsyncIterator[tuple[Hub, str]]:
    hub = Hub()
    async with running_hub(hub) as url:
        yield hub, url


def _client(url: str, service: str = "graph", **kwargs: object) -> ChatApiClient:
    kwargs.setdefault("token", make_chatapi_token(service))
    kwargs.setdefault("retry", NO_RETRY)
    return ChatApiClient(service, url=url + BASES[service], **kwargs)  # type: ignore[arg-type]


async def _turn(
    client: ChatApiClient, prompt: str = "Hi there", **kwargs: object
) -> tuple[str, list[object]]:
    events = [e async for e in client.ask(prompt, **kwargs)]  # type: ignore[arg-type]
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events


@pytest.mark.parametrize("service", ["graph", "workiq"])
@pytest.mark.parametrize("layout", ["compact", "pretty", "crlf", "empty"])
async def test_every_layout_streams_the_answer_once(
    hub_url: tuple[Hub, str], service: str, layout: str
) -> None:
    hub, url = hub_url
    hub.chatapi.scenario = layout
    async with _client(url, service) as client:
        shown, events = await _turn(client)
    assert shown.startswith("You said: «Hi there»")
    assert isinstance(events[-1], Final) and events[-1].text == shown


async def test_the_namespaced_paths_and_work_iq_beta_are_served(hub_url: tuple[Hub, str]) -> None:
    hub, url = hub_url
    async with ChatApiClient(
        "workiq", url=url + "/rest/beta", token=make_chatapi_token("workiq")
    ) as client:
        assert (await client.ask_text("Hi")).startswith("You said")
    assert hub.chatapi.requests[-1]["path"].startswith("/rest/beta/conversations/")


async def test_a_rewritten_final_does_not_duplicate_and_wins(hub_url: tuple[Hub, str]) -> None:
    hub, url = hub_url
    hub.chatapi.scenario = "rewritten"
    async with _client(url) as client:
        shown, events = await _turn(client)
    assert shown.count("You said") == 1 and shown.endswith("[^1^]")
    assert isinstance(events[-1], Final) and events[-1].text.endswith(
        "(https://teams.microsoft.com/l/meeting/details?eventId=1)"
    )
    assert any(isinstance(e, Sources) for e in events)


async def test_disengaged_is_refused(hub_url: tuple[Hub, str]) -> None:
    hub, url = hub_url
    hub.chatapi.scenario = "disengaged"
    async with _client(url) as client:
        with pytest.raises(Refused, match="can't help"):
            await client.ask_text("something declined")


async def test_a_stream_without_text_is_an_empty_answer(hub_url: tuple[Hub, str]) -> None:
    hub, url = hub_url
    hub.chatapi.scenario = "no_text"
    async with _client(url) as client:
        assert await client.ask_text("Hi") == ""


async def test_later_turns_send_only_the_new_text_and_the_hub_keeps_history(
    hub_url: tuple[Hub, str],
) -> None:
    hub, url = hub_url
    async with _client(url) as client:
        conversation = await client.start_conversation()
        await client.ask_text("first question", conversation=conversation)
        answer = await client.ask_text("second", conversation=conversation)
    assert "We spoke 1 time(s) before; you last said: «first question»" in answer
    body = hub.chatapi.requests[-1]["body"]
    assert body["message"] == {"text": "second"} and "additionalContext" not in body
    assert conversation.turn == 2 and conversation.answered == 2
    async with _client(url) as client:  # context given with a later turn is sent, as by Chathub
        await client.ask_text("one", conversation=conversation)
        await client.ask_text("two", conversation=conversation, context="Be brief.")
    assert hub.chatapi.requests[-1]["body"]["additionalContext"] == [
        {"text": "Be brief.", "description": "context for the question"}
    ]


async def test_earlier_messages_of_a_new_conversation_go_as_additional_context(
    hub_url: tuple[Hub, str],
) -> None:
    hub, url = hub_url
    context = "[system](#message)\nBe brief.\n\n[user](#message)\nMy name is Ada.\n\n"
    async with _client(url, time_zone="Europe/Paris") as client:
        answer = await client.ask_text("What is my name?", context=context, search=False,
                                       files=["https://contoso.sharepoint.com/a.docx"])  # fmt: skip
    body = hub.chatapi.requests[-1]["body"]
    assert body["message"] == {"text": "What is my name?"}
    assert body["additionalContext"] == [
        {"text": "Be brief.", "description": "an earlier message from system"},
        {"text": "My name is Ada.", "description": "an earlier message from user"},
    ]
    assert body["locationHint"] == {"timeZone": "Europe/Paris"}
    assert body["contextualResources"] == {
        "files": [{"uri": "https://contoso.sharepoint.com/a.docx"}],
        "webContext": {"isWebEnabled": False},
    }
    assert "the last, from an earlier message from user: «My name is Ada.»" in answer


@pytest.mark.parametrize(
    ("scenario", "error", "words"),
    [
        ("throttled", RateLimited, "429"),
        ("unavailable", RateLimited, "503"),
        ("upstream_500", ServerError, "IC3"),
        ("gateway_504", ResponseTimeout, "504"),
        ("licence_403", AccessDenied, "licence"),
        ("consent_403", AccessDenied, "admin consent"),
        ("tenant_400", NotAuthorized, "home tenant"),
    ],
)
async def test_failures_are_typed_with_what_to_do_and_the_request_id(
    hub_url: tuple[Hub, str], scenario: str, error: type[Exception], words: str
) -> None:
    hub, url = hub_url
    hub.chatapi.scenario = scenario
    async with _client(url) as client:
        with pytest.raises(error) as caught:
            await client.ask_text("Hi")
    assert words in str(caught.value)
    assert len(getattr(caught.value, "request_id", "") or "") == 36
    if scenario == "throttled":
        assert caught.value.retry_after == 7.0  # type: ignore[attr-defined]


async def test_a_stream_cut_short_is_a_lost_connection_with_the_text_shown(
    hub_url: tuple[Hub, str],
) -> None:
    hub, url = hub_url
    hub.chatapi.scenario = "dropped"  # half the snapshots, then the connection drops
    shown = ""
    async with _client(url) as client:
        with pytest.raises(ConnectionClosed) as caught:
            async for event in client.ask("Hi there"):
                assert not isinstance(event, Final)  # a cut stream is never a whole answer
                shown += event.text if isinstance(event, TextDelta) else ""
    assert shown.startswith("You said") and caught.value.partial_text == shown


async def test_a_long_answer_streams_a_bounded_number_of_snapshots_and_ends_whole() -> None:
    answer = " ".join(f"word{n}" for n in range(2000))
    hub = Hub(responder=lambda turn: answer)
    token = {"Authorization": f"Bearer {make_chatapi_token('graph')}"}
    turn = {"message": {"text": "Go on"}, "locationHint": {"timeZone": "UTC"}}
    async with running_hub(hub) as url, aiohttp.ClientSession(headers=token) as session:
        async with session.post(f"{url}/beta/copilot/conversations", json={}) as created:
            cid = (await created.json())["id"]
        stream = f"{url}/beta/copilot/conversations/{cid}/chatOverStream"
        async with session.post(stream, json=turn) as response:
            body = (await response.read()).decode()
        async with _client(url) as client:
            shown, events = await _turn(client)
    snapshots = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert 100 < len(snapshots) <= MAX_UPDATES + 2  # the empty one, the growing ones, the last
    texts = [s["messages"][0]["text"] for s in snapshots[1:-1]]
    assert all(b.startswith(a) for a, b in itertools.pairwise(texts)) and texts[-1] == answer
    assert snapshots[-1]["messages"][-1]["text"] == answer
    assert len(body) < 5_000_000  # one snapshot per word would be 11 MB
    assert shown == answer and isinstance(events[-1], Final) and events[-1].text == answer


async def test_401_says_to_sign_in_and_never_shows_the_token(hub_url: tuple[Hub, str]) -> None:
    _, url = hub_url
    expired = make_chatapi_token("graph", lifetime=-10)
    async with _client(url, token=expired) as client:
        with pytest.raises(NotAuthorized) as caught:
            await client.ask_text("Hi")
    assert "expired" in str(caught.value) and expired not in repr(caught.value) + str(caught.value)
    graph_token = make_chatapi_token("graph")
    async with _client(url, "workiq", token=graph_token) as client:  # another host's token
        with pytest.raises(NotAuthorized, match="audience"):
            await client.ask_text("Hi")


async def test_a_stale_token_file_is_named(hub_url: tuple[Hub, str], tmp_path: object) -> None:
    _, url = hub_url
    path = tmp_path / "token"  # type: ignore[operator]
    path.write_text(make_chatapi_token("graph", lifetime=-10))
    async with ChatApiClient("graph", url=url + "/beta/copilot", token_file=path) as client:
        with pytest.raises(NotAuthorized, match=r"token file .* is stale"):
            await client.ask_text("Hi")


def test_a_token_file_is_read_as_microsoft_365s_with_this_services_advice(
    tmp_path: Path,
) -> None:
    from g4f.services.chatapi.tokens import TokenFile

    fifo, big, good = tmp_path / "fifo", tmp_path / "big", tmp_path / "good"
    os.mkfifo(fifo)
    big.write_text("x" * 100_000)
    for path, why in [(fifo, "FIFO"), (big, "larger than")]:
        with pytest.raises(NotAuthorized, match=why) as caught:
            TokenFile(path, "g4f login --service graph").token()  # a FIFO: refused, not waited on
        assert "g4f login --service graph" in str(caught.value.advice)
    good.write_text("first\n")
    tokens = TokenFile(good)
    assert tokens.token() == "first"
    good.write_text("second")  # within the same second: the size and change time tell
    assert tokens.token() == "second"


async def test_a_gone_conversation_is_expired(hub_url: tuple[Hub, str]) -> None:
    hub, url = hub_url
    async with _client(url) as client:
        conversation = await client.start_conversation()
        hub.chatapi.conversations.clear()
        with pytest.raises(ConversationExpired, match="start a new one"):
            await client.ask_text("Hi", conversation=conversation)


async def test_closing_the_stream_closes_it_upstream_at_once(hub_url: tuple[Hub, str]) -> None:
    hub, url = hub_url
    hub.chatapi.scenario = "slow"
    async with _client(url) as client:
        stream = client.ask("Hi there")
        async with contextlib.aclosing(stream):
            async for event in stream:
                assert isinstance(event, TextDelta)
                break
        await hub.chatapi.wait_stream_closed()
    assert hub.chatapi.streams_closed == 1


async def test_the_registry_builds_both_services_and_local_options_reach_the_hub(
    hub_url: tuple[Hub, str],
) -> None:
    _, url = hub_url
    for service in ("graph", "workiq"):
        chosen = entry(service)
        assert chosen.capabilities.search_toggle and not chosen.capabilities.images
        async with backend_for(service, **chosen.local_options(url)) as backend:
            assert (await backend.ask_text("Hi")).startswith("You said")
    text, warnings = entry("graph").describe(None, {"token_file": "x"})
    assert "graph.microsoft.com/beta/copilot" in text and warnings == ()


def test_no_token_and_no_sign_in_says_to_run_g4f_login(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("G4F_STATE_DIR", str(tmp_path))
    client = ChatApiClient("graph")
    with pytest.raises(NotAuthorized, match="g4f login --service graph"):
        client.auth.token()
    assert "graph" in repr(client) and "Bearer" not in repr(client)


def _chain_text(error: BaseException) -> str:
    """Every text of ``error`` and its chain of causes and contexts."""
    texts, link, seen = [], error, 0
    while link is not None and seen < 20:
        texts += [str(link), repr(link), str(getattr(link, "message", "")), repr(link.args)]
        link, seen = link.__cause__ or link.__context__, seen + 1
    return "\n".join(texts)


def _token_forms(token: str) -> list[str]:
    quoted = "".join(f"%{byte:02X}" for byte in token.encode())
    return [token, quoted, quoted.lower(), token.split(".")[1], token[:60]]


@pytest.mark.parametrize(("scenario", "error"), [("echo_401", NotAuthorized),
                                                 ("echo_500", ServerError)])  # fmt: skip
async def test_a_token_the_server_echoes_in_an_error_is_redacted(
    hub_url: tuple[Hub, str], scenario: str, error: type[Exception]
) -> None:
    hub, url = hub_url
    token = make_chatapi_token("graph")
    async with _client(url, token=token) as client:
        conversation = await client.start_conversation()
        hub.chatapi.scenario = scenario
        for call in (client.check(), client.ask_text("Hi", conversation=conversation)):
            with pytest.raises(error) as caught:
                await call
            text = _chain_text(caught.value)
            assert "<redacted>" in text
            assert not [form for form in _token_forms(token) if form in text]


async def test_a_throttled_turn_retries_within_the_deadline_and_never_sleeps_past_it(
    hub_url: tuple[Hub, str],
) -> None:
    from g4f.engine.retry import RetryPolicy

    hub, url = hub_url
    slept: list[float] = []
    told: list[tuple[float, int]] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    def on_retry(error: object, wait: float, attempt: int, attempts: int) -> None:
        told.append((wait, attempt))

    for deadline, waits in ((5.0, []), (30.0, [7.0, 7.0])):  # Retry-After: 7
        slept.clear()
        told.clear()
        retry = RetryPolicy(attempts=3, deadline=deadline, sleep=sleep, on_retry=on_retry)
        async with _client(url, retry=retry) as client:
            conversation = await client.start_conversation()
            hub.chatapi.scenario = "throttled"
            with pytest.raises(RateLimited) as caught:
                await client.ask_text("Hi", conversation=conversation)
            hub.chatapi.scenario = "compact"
        assert caught.value.retry_after == 7.0
        assert slept == waits
        assert told == [(wait, n + 2) for n, wait in enumerate(waits)]
