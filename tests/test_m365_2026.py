"""Microsoft 365 Copilot's Chathub as the browser speaks it in 2026 (M365-CHATHUB.md §2–§6,
issue 17), through the Python client against the hub, and the pure builders key by key."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from g4f import errors
from g4f.client import M365Client, Timeouts
from g4f.hub import Hub, make_encrypted_test_token, make_test_token, running_hub
from g4f.hub.m365 import TEST_OID, TEST_TID
from g4f.protocol import Final, SuggestedReplies, TextDelta
from g4f.protocol.conversation import Conversation
from g4f.services import Image
from g4f.services.m365 import (
    Plan,
    TokenSource,
    build_m365_invocation,
    chathub_query,
    describe_token,
    normalise_tone,
)

PATIENT = Timeouts(read=30, connect=30, stop=30)
CASSETTE = Path(__file__).parent / "cassettes" / "m365_2026_turn.jsonl"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))

# §3's browser invocation, as the reference prints it (its lists shortened to what it shows).
REFERENCE_ARGUMENT = {
    "source": "officeweb",
    "clientCorrelationId": "T",
    "sessionId": "S",
    "traceId": "T",
    "optionsSets": [
        "search_result_progress_messages_with_search_queries",
        "enable_batch_token_processing",
        "cwc_flux_v3",
        "flux_v3_references",
    ],
    "streamingMode": "ConciseWithPadding",
    "options": {},
    "extraExtensionParameters": {},
    "allowedMessageTypes": [
        "Chat", "Suggestion", "InternalSearchQuery", "InternalSearchResult", "Disengaged",
        "InternalLoaderMessage", "Progress", "RenderCardRequest", "SearchQuery", "EndOfRequest",
        "ReferencesListComplete", "GeneratedCode",
    ],
    "sliceIds": [],
    "threadLevelGptId": {},
    "isStartOfSession": False,
    "clientInfo": {
        "clientPlatform": "mcmcopilot-web", "clientAppName": "Office",
        "clientEntrypoint": "mcmcopilot-officeweb", "clientSessionId": "S",
        "ProductCategory": "Chat", "clientAppType": "Web", "productEntryPoint": "ChatPanel",
        "deviceOS": "Linux", "deviceType": "Desktop", "clientPlatformVersion": "Unknown",
    },
    "message": {
        "author": "user", "inputMethod": "Keyboard", "text": "hi",
        "entityAnnotationTypes": ["People", "File", "Event", "Email", "TeamsMessage"],
        "requestId": "T", "locationInfo": {"timeZoneOffset": 0, "timeZone": "UTC"},
        "locale": "en-us", "messageType": "Chat", "experienceType": "Default",
        "adaptiveCards": [], "clientPreferences": {},
        "connectedFederatedConnections": ["dummyId"], "messageAnnotations": [],
    },
    "plugins": [{"Id": "BingWebSearch", "Source": "BuiltIn"}],
    "isSbsSupported": True,
    "tone": "Magic",
    "renderReferencesBehindEOS": True,
    "disconnectBehavior": "continue",
    # The two keys clients add (§3): sent.
    "conversationId": "C",
    "productThreadType": "Office",
}  # fmt: skip


def test_the_invocation_is_the_browsers_key_by_key() -> None:
    record = build_m365_invocation("hi", conversation_id="C", session_id="S", turn_id="T")
    assert (record["type"], record["target"], record["invocationId"]) == (4, "chat", "0")
    argument = record["arguments"][0]
    assert list(argument) == list(REFERENCE_ARGUMENT)
    for key, value in REFERENCE_ARGUMENT.items():
        assert argument[key] == value, key


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (Plan.WORK, ("Starter", "web", "OfficeWebIncludedCopilot", "false")),
        (Plan.SCHOOL, ("Starter", "web", "OfficeWebIncludedCopilot", "true")),
        (Plan.CONSUMER, ("Starter", "web", "OfficeWebPaidConsumerCopilot", "false")),
        (Plan.PREMIUM, ("Premium", "work", "officeweb", "false")),
    ],
)
def test_the_query_says_the_account_kind(plan: Plan, expected: tuple[str, ...]) -> None:
    query = dict(
        chathub_query(connection_id="X", session_id="S", conversation_id="C", token="t", plan=plan)
    )
    assert (query["licenseType"], query["agent"], query["scenario"], query["isEdu"]) == expected
    assert query["chatsessionid"] == query["clientrequestid"] == "X"
    assert query["XRoutingParameterSessionKey"] == "X"
    assert (query["source"], query["product"], query["agentHost"]) == (
        '"officeweb"', "Office", "Bizchat.FullScreen"
    )


def test_tones_are_one_name_for_every_surface() -> None:
    assert normalise_tone("Gpt_Quick") == normalise_tone("m365-gpt-quick") == "Gpt_Quick"
    assert normalise_tone("m365-copilot") == "Magic" and normalise_tone("Future") == "Future"


async def test_a_turn_is_the_browsers_on_the_wire(hub: Hub) -> None:
    async with running_hub(hub) as url:
        async with M365Client(url=url, token=make_test_token(), timeouts=PATIENT) as m365:
            conversation = await m365.start_conversation()
            await m365.ask_text("One", conversation=conversation)
            await m365.ask_text("Two", conversation=conversation)
        await hub.wait_closed()
    first, second = hub.m365.invocations
    for argument, query in zip((first, second), hub.m365.queries, strict=True):
        ids = {argument["clientCorrelationId"], argument["traceId"]}
        assert ids == {argument["message"]["requestId"], query["chatsessionid"]}
        assert query["licenseType"] == "Starter" and query["agentHost"] == "Bizchat.FullScreen"
    assert first["traceId"] != second["traceId"]  # one fresh id per turn
    assert hub.m365.pings_before_invocation == 2 and hub.m365.metrics_with_invocation == 2
    assert hub.websockets_opened == 2  # one chat per websocket


async def test_a_pasted_url_gives_path_token_and_account(hub: Hub) -> None:
    token = make_encrypted_test_token()  # a consumer account's: only the URL says its path
    pasted = (
        f"wss://substrate.svc.cloud.microsoft/m365Copilot/Chathub/{TEST_OID}@{TEST_TID}"
        "?chatsessionid=old&clientrequestid=old&XRoutingParameterSessionKey=old"
        f"&X-SessionId=old-session&ConversationId=old-conv&access_token={token}"
        "&source=%22officeweb%22&licenseType=Starter&agent=web"
        "&scenario=OfficeWebPaidConsumerCopilot&isEdu=false&variants=feature.x,-feature.y"
    )
    warnings: list[str] = []
    async with running_hub(hub) as url:
        async with M365Client(url=url, token=pasted, timeouts=PATIENT, warn=warnings.append) as m:
            assert await m.ask_text("Hi")  # url= replaced the pasted host
        await hub.wait_closed()
    (query,) = hub.m365.queries
    assert query["scenario"] == "OfficeWebPaidConsumerCopilot"
    assert query["variants"] == "feature.x,-feature.y"  # the browser's parameters kept
    assert "old" not in (query["chatsessionid"], query["ConversationId"], query["X-SessionId"])
    assert list(hub.m365.rejections) == []
    assert [w for w in warnings if "encrypted" in w and "unknown" in w] == [warnings[0]]
    report = describe_token(pasted)
    assert report.encrypted and report.plan is Plan.CONSUMER and report.plan_from_url
    assert report.host == "substrate.svc.cloud.microsoft" and report.expires is None


def test_a_bare_encrypted_token_asks_for_the_url() -> None:
    with pytest.raises(errors.NotAuthorized, match="paste the whole websocket URL"):
        TokenSource.resolve(make_encrypted_test_token()).current()


def test_describe_token_says_what_is_wrong_without_the_token(tmp_path: Path) -> None:
    token = make_test_token(lifetime=-120, audience="https://graph.microsoft.com")
    report = describe_token(f"Bearer {token}", file_mode=stat.S_IFREG | 0o644)
    text = "\n".join(report.lines())
    assert token not in text and report.oid == TEST_OID and report.tenant == TEST_TID
    assert any("expired" in p for p in report.problems)
    assert any("audience" in p for p in report.problems)
    assert any("readable by others" in p for p in report.problems)
    assert report.plan is Plan.WORK and not report.plan_from_url


def test_a_bearer_prefix_is_stripped() -> None:
    token = make_test_token()
    assert TokenSource.resolve(f"Bearer {token}").current().value == token


def test_a_token_about_to_expire_is_warned_of_before_a_turn() -> None:
    warnings: list[str] = []
    source = TokenSource.resolve(make_test_token(lifetime=120), warn=warnings.append)
    import asyncio

    asyncio.run(source.refresh())
    asyncio.run(source.refresh())
    assert len(warnings) == 1 and "expires in" in warnings[0]


def test_a_fifo_token_file_is_refused_clearly(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(errors.NotAuthorized, match="FIFO"):
        TokenSource.resolve(token_file=fifo).current()


def test_a_same_size_token_copied_with_its_times_is_seen(tmp_path: Path) -> None:
    path, other = tmp_path / "token", tmp_path / "new"
    path.write_text(make_test_token(oid="a" * 36, tid=TEST_TID))
    other.write_text(make_test_token(oid="b" * 36, tid=TEST_TID))
    shutil.copystat(path, other)  # same size, same mtime: only the inode and ctime differ
    source = TokenSource.resolve(token_file=path)
    assert source.current().oid == "a" * 36
    other.replace(path)
    assert source.current().oid == "b" * 36


def test_a_huge_token_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"x" * (1 << 20))
    with pytest.raises(errors.NotAuthorized, match="larger than"):
        TokenSource.resolve(token_file=path).current()


def test_a_pipe_token_file_is_read_once_and_kept() -> None:
    read, write = os.pipe()
    os.write(write, make_test_token().encode())
    os.close(write)
    try:
        source = TokenSource.resolve(token_file=f"/dev/fd/{read}")
        assert source.current().oid == TEST_OID
        assert source.current().oid == TEST_OID  # kept: the pipe cannot be read again
    finally:
        os.close(read)


async def _ask(hub: Hub, scenario: str, prompt: str = "Hi") -> tuple[list[object], str]:
    hub.m365.scenario = scenario
    async with running_hub(hub) as url:
        async with M365Client(url=url, token=make_test_token(), timeouts=PATIENT) as m365:
            events = [e async for e in m365.ask(prompt)]
            text = await m365.ask_text(prompt)
        await hub.wait_closed()
    return events, text


async def test_the_captured_2026_cassette_streams_each_piece_once() -> None:
    hub = Hub.from_cassette(CASSETTE)
    async with running_hub(hub) as url:
        async with M365Client(url=url, token=make_test_token(), timeouts=PATIENT) as m365:
            events = [e async for e in m365.ask("hi")]
        await hub.wait_closed()
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert streamed == "Hello! How can I help you today? 😊"
    final = events[-1]
    assert isinstance(final, Final) and final.text == streamed and final.answer == streamed


@pytest.mark.parametrize("scenario", ["captured-2026", "no-result", "result-only"])
async def test_every_successful_answer_form(hub: Hub, scenario: str) -> None:
    hub.responder = lambda request: __import__("g4f.hub", fromlist=["Reply"]).Reply(
        "Paris is the capital of France.", suggestions=("And Italy?",)
    )
    events, text = await _ask(hub, scenario)
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert streamed == text == "Paris is the capital of France."
    if scenario == "captured-2026":
        assert [e for e in events if isinstance(e, SuggestedReplies)] == [
            SuggestedReplies(("And Italy?",))
        ]


async def test_markup_in_the_final_is_the_unstreamed_answer(hub: Hub) -> None:
    events, text = await _ask(hub, "markup")
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "[^1^]" in text and "[^1^]" not in streamed


@pytest.mark.parametrize(
    ("scenario", "error", "words"),
    [
        ("bare-completion", errors.InvocationRejected, "shape"),
        ("rate-notice", errors.RateLimited, "rate-limit notice"),
        ("thread-rate", errors.RateLimited, "new conversations fast"),
        ("throttled", errors.RateLimited, "new conversations fast"),
        ("dead-tone", errors.UnknownTone, "not available for this account"),
    ],
)
async def test_every_failing_answer_form_is_typed(
    hub: Hub, scenario: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        await _ask(hub, scenario)
    assert "update g4f-bing" in str(errors.InvocationRejected("x"))


async def test_429_at_the_upgrade_carries_retry_after(hub: Hub) -> None:
    with pytest.raises(errors.RateLimited) as caught:
        await _ask(hub, "throttled-upgrade")
    assert caught.value.retry_after == 37 and caught.value.status == 429


async def test_uploads_are_form_urlencoded_and_take_more_than_a_mebibyte(hub: Hub) -> None:
    big = PNG + bytes(2 << 20)
    async with running_hub(hub) as url:
        async with M365Client(url=url, token=make_test_token(), timeouts=PATIENT) as m365:
            text = await m365.ask_text("What is it?", images=[Image(big, name="cat.png")])
        await hub.wait_closed()
    (form,) = hub.m365.upload_forms
    assert form["content_type"] == "application/x-www-form-urlencoded"
    assert form["optionsSets"] == ["gptvpng2048"] and form["scenario"] == "OfficeWebIncludedCopilot"
    assert f"{len(big)} bytes" in text


def test_the_hub_token_is_base64url_and_a_raw_url_keeps_it() -> None:
    token = make_test_token()
    assert not set("+/= ") & set(token)
    query = dict(parse_qsl(urlsplit(f"ws://h/p?access_token={token}").query))
    assert query["access_token"] == token


def test_a_conversation_tone_is_normalised_in_the_invocation() -> None:
    from g4f.engine.dialect import Turn
    from g4f.protocol import Style
    from g4f.services.m365 import M365Dialect

    dialect = M365Dialect(TokenSource.resolve(make_test_token()), tone="m365-claude-opus")
    conversation = Conversation("c", "s", tone="m365-gpt-quick")
    record, metrics = dialect.invocation(conversation, Turn("Hi", Style.PRECISE))
    assert record["arguments"][0]["tone"] == "Gpt_Quick" and dialect.tone == "Claude_Opus"
    stamps = metrics["arguments"][0]["Timestamps"]
    assert all(value.endswith("Z") and "T" in value for value in stamps.values())
