"""Microsoft 365 Copilot end to end: :class:`M365Client` against the hub's Chathub, every
scenario of the issue, over real websockets on a free loopback port."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest

from g4f import errors
from g4f.api.errors import openai_error_for
from g4f.client import M365Client, Timeouts
from g4f.hub import Hub, make_test_token, running_hub
from g4f.hub.m365 import M365_SCENARIOS, TEST_OID
from g4f.protocol import (
    Final,
    ReasoningProgress,
    SearchProgress,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
    TurnLimit,
)
from g4f.protocol.conversation import Conversation
from g4f.services import Image
from g4f.services.m365 import TONES

from .common import ANSWER, PROMPT

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PATIENT = Timeouts(read=30, connect=30, stop=30)
"""Deadlines no passing test comes near, even on a busy machine."""


@pytest.fixture
async def url(hub: Hub) -> AsyncIterator[str]:
    async with running_hub(hub) as base:
        yield base
        await hub.wait_closed()
        assert hub.open_websockets == 0


def client(url: str, **kwargs: object) -> M365Client:
    kwargs.setdefault("token", make_test_token())
    return M365Client(url=url, timeouts=PATIENT, **kwargs)  # type: ignore[arg-type]


async def events_of(url: str, prompt: str = PROMPT, **kwargs: object) -> list[object]:
    async with client(url) as m365:
        return [event async for event in m365.ask(prompt, **kwargs)]  # type: ignore[arg-type]


def text_of(events: list[object]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def final_of(events: list[object]) -> Final:
    final = events[-1]
    assert isinstance(final, Final)
    return final


@pytest.mark.parametrize("scenario", ["stream", "deltas", "snapshots", "echo-only", "ping-storm"])
async def test_every_way_of_streaming_gives_the_answer_once(
    hub: Hub, url: str, scenario: str
) -> None:
    hub.m365.scenario = scenario
    events = await events_of(url)
    assert text_of(events) == ANSWER.replace("Style: Precise", "Style: Magic")
    assert final_of(events).text == text_of(events)
    assert final_of(events).expiry_time  # the conversation's expiry, about 30 days ahead
    throttling = [e for e in events if isinstance(e, Throttling)]
    assert throttling and throttling[-1].used == 1 and throttling[-1].limit == 600


async def test_the_normal_turn_sends_what_the_protocol_document_says(hub: Hub, url: str) -> None:
    token = make_test_token()
    async with M365Client(url=url, token=token, timeouts=PATIENT) as m365:
        await m365.ask_text(PROMPT)
    (query,) = hub.m365.queries
    assert query["source"] == '"officeweb"' and query["scenario"] == "OfficeWebIncludedCopilot"
    assert query["ConversationId"] and query["X-SessionId"] and query["chatsessionid"]
    assert list(hub.m365.origins) == ["https://m365.cloud.microsoft"]
    assert hub.m365.metrics_received == 1  # the Metrics record came with the invocation
    (argument,) = hub.m365.invocations
    assert argument["isStartOfSession"] is False and argument["tone"] == "Magic"
    assert argument["conversationId"] == query["ConversationId"]
    assert list(hub.m365.rejections) == []  # the token arrived intact (URL-encoded)


async def test_the_final_record_is_authoritative_when_its_markup_differs(
    hub: Hub, url: str
) -> None:
    hub.m365.scenario = "markup"
    events = await events_of(url)
    streamed = text_of(events)
    assert streamed == ANSWER.replace("Precise", "Magic")  # nothing shown twice or lost
    assert "[^1^]" in final_of(events).text and "[^1^]" not in streamed


async def test_search_and_reasoning_progress_stay_out_of_the_answer(hub: Hub, url: str) -> None:
    hub.m365.scenario = "search"
    events = await events_of(url)
    searches = [e.text for e in events if isinstance(e, SearchProgress)]
    reasoning = [e.text for e in events if isinstance(e, ReasoningProgress)]
    assert searches[0] == f"Searching for: {PROMPT}"
    assert reasoning == ["Weighing what the sources say"]  # repeated once, shown once
    assert "Searching" not in text_of(events) and "Weighing" not in text_of(events)
    (sources,) = [e for e in events if isinstance(e, Sources)]
    assert [s.url for s in sources.items] == ["https://example.com/", "https://example.org/"]
    (suggested,) = [e for e in events if isinstance(e, SuggestedReplies)]
    assert suggested.items == ("Tell me more.", "Say it again.")


async def test_disengaged_is_a_refusal_never_retried(hub: Hub, url: str) -> None:
    hub.m365.scenario = "disengaged"
    with pytest.raises(errors.Refused) as caught:
        await events_of(url)
    assert "declined this prompt" in str(caught.value)
    assert "retrying it unchanged will not help" in str(caught.value)
    assert not caught.value.transient and len(hub.m365.invocations) == 1


async def test_an_empty_throttled_answer_is_rate_limited(hub: Hub, url: str) -> None:
    hub.m365.scenario = "throttled"
    with pytest.raises(errors.RateLimited) as caught:
        await events_of(url)
    assert "1 of 600" in str(caught.value) and "wait some minutes" in str(caught.value)


async def test_an_unknown_tone_is_named_with_the_known_ones(url: str) -> None:
    with pytest.raises(errors.UnknownTone) as caught:
        await events_of(url, tone="Gpt_Imaginary")
    assert caught.value.tone == "Gpt_Imaginary"
    assert "'Gpt_Imaginary'" in str(caught.value) and ", ".join(TONES) in str(caught.value)
    answer = openai_error_for(caught.value)  # what `g4f api` says of it
    assert (answer.status, answer.code) == (404, "model_not_found")


async def test_a_known_tone_is_sent_and_kept_by_the_conversation(hub: Hub, url: str) -> None:
    async with client(url) as m365:
        conversation = await m365.start_conversation()
        await m365.ask_text("one", conversation=conversation, tone="Gpt_Reasoning")
        await m365.ask_text("two", conversation=conversation)
    assert [a["tone"] for a in hub.m365.invocations] == ["Gpt_Reasoning", "Gpt_Reasoning"]
    assert conversation.tone == "Gpt_Reasoning"


@pytest.mark.parametrize(
    ("scenario", "error"),
    [("close", errors.ConnectionClosed), ("close-error", errors.ConnectionClosed)],
)
async def test_a_turn_cut_short_keeps_its_text(
    hub: Hub, url: str, scenario: str, error: type[errors.G4FError]
) -> None:
    hub.m365.scenario = scenario
    with pytest.raises(error) as caught:
        await events_of(url)
    assert caught.value.partial_text and ANSWER.startswith(caught.value.partial_text[:20])


async def test_breaking_out_sends_stop_and_waits_for_its_acknowledgement(
    hub: Hub, url: str
) -> None:
    hub.m365.scenario = "stop-wait"
    async with client(url) as m365:
        conversation = await m365.start_conversation()
        async for event in m365.ask(PROMPT, conversation=conversation):
            if isinstance(event, TextDelta):
                break  # the caller stops the answer
        await hub.wait_closed()
    assert hub.m365.stops_received == 1
    stored = hub.m365.conversations[conversation.conversation_id]
    # The server acknowledged it and kept the stopped turn, as the service does.
    assert stored.history == [(PROMPT, "You have stopped this conversation.")]
    assert conversation.turn == 1 and conversation.answered == 0


async def test_a_conversation_continues_with_only_the_new_text(hub: Hub, url: str) -> None:
    async with client(url) as m365:
        conversation = await m365.start_conversation()
        await m365.ask_text("The first question", conversation=conversation)
        second = await m365.ask_text("And the second", conversation=conversation)
    first, later = hub.m365.invocations
    assert first["isStartOfSession"] is later["isStartOfSession"] is False  # as the browser
    assert later["message"]["text"] == "And the second"  # only the new text was sent
    assert first["sessionId"] == later["sessionId"] == conversation.client_id
    # The answer proves the server kept the earlier turn.
    assert "We spoke 1 time(s) before; you last said: «The first question»." in second
    assert "turn 2" in second and conversation.answered == 2


async def test_a_saved_conversation_resumes_in_another_client(hub: Hub, url: str) -> None:
    async with client(url) as m365:
        conversation = await m365.start_conversation()
        await m365.ask_text("Remember me", conversation=conversation, tone="Gpt_Quick")
    saved = json.dumps(conversation.to_dict())
    assert make_test_token() not in saved
    resumed = Conversation.from_dict(json.loads(saved))
    async with client(url) as m365:
        answer = await m365.ask_text("Again", conversation=resumed)
    assert "you last said: «Remember me»" in answer
    assert hub.m365.invocations[-1]["tone"] == "Gpt_Quick"
    assert hub.m365.invocations[-1]["isStartOfSession"] is False


async def test_the_message_limit_is_a_turn_limit_then_a_refusal(url: str) -> None:
    async with running_hub(Hub(max_messages=2)) as small, client(small) as m365:
        conversation = await m365.start_conversation()
        await m365.ask_text("one", conversation=conversation)
        events = [e async for e in m365.ask("two", conversation=conversation)]
        assert any(isinstance(e, TurnLimit) and e.limit == 2 for e in events)
        with pytest.raises(errors.ConversationInvalid) as caught:
            await m365.ask_text("three", conversation=conversation)
    assert "limit of 2 messages" in str(caught.value)


async def test_an_expired_conversation_is_reported_as_expired() -> None:
    now = [0.0]
    hub = Hub(clock=lambda: now[0])
    async with running_hub(hub) as base, client(base) as m365:
        conversation = await m365.start_conversation()
        await m365.ask_text("one", conversation=conversation)
        now[0] += 31 * 86400
        with pytest.raises(errors.ConversationExpired):
            await m365.ask_text("two", conversation=conversation)


async def test_an_image_is_uploaded_and_attached(hub: Hub, url: str) -> None:
    image = Image(PNG, name="cat.png")
    answer = "".join([t async for t in _texts(url, "What is in it?", images=[image])])
    digest = hashlib.sha256(PNG).hexdigest()[:16]
    assert f"I see the image cat.png (png, {len(PNG)} bytes, sha256 {digest})." in answer
    (annotation,) = hub.m365.invocations[0]["message"]["messageAnnotations"]
    assert annotation["messageAnnotationType"] == "ImageFile"
    assert annotation["messageAnnotationMetadata"]["fileName"] == "cat.png"
    assert hub.m365.uploads[annotation["id"]].data == PNG


async def _texts(url: str, prompt: str, **kwargs: object) -> AsyncIterator[str]:
    async with client(url) as m365:
        async for event in m365.ask(prompt, **kwargs):  # type: ignore[arg-type]
            if isinstance(event, TextDelta):
                yield event.text


def test_images_are_checked_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="not fetched"):
        Image.from_data_url("https://example.com/cat.png")
    with pytest.raises(ValueError, match="not a PNG, JPEG, GIF or WebP"):
        Image(b"GIF-but-not-really")
    with pytest.raises(ValueError, match="image/svg"):
        Image.from_data_url("data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode())
    good = Image.from_data_url("data:image/png;base64," + base64.b64encode(PNG).decode())
    assert good.data == PNG
    assert repr(good) == f"Image(mime='image/png', name='image.png', size={len(PNG)})"


async def test_bing_takes_no_images_and_no_tones(hub: Hub, hub_url: str) -> None:
    from g4f.client import BingClient

    async with BingClient(url=hub_url) as bing:
        with pytest.raises(ValueError, match="bing service does not take images"):
            await bing.ask_text("What is it?", images=[Image(PNG)])
        with pytest.raises(ValueError, match="bing service has no tones; choose a style="):
            await bing.ask_text("Hi", tone="Magic")
    assert hub.create_requests == 0  # refused before anything was sent


@pytest.mark.parametrize(
    ("token", "error", "says"),
    [
        (make_test_token(audience="https://graph.microsoft.com"), errors.NotAuthorized, "HTTP 401"),
        (make_test_token(oid="someone-else"), errors.AccessDenied, "HTTP 403"),
    ],
)
async def test_an_upgrade_refused_by_status_is_typed(
    token: str, error: type[errors.G4FError], says: str
) -> None:
    hub = Hub()
    hub.m365.denied_oids = ("someone-else",)
    async with (
        running_hub(hub) as base,
        M365Client(url=base, token=token, timeouts=PATIENT) as m365,
    ):
        with pytest.raises(error) as caught:
            await m365.ask_text(PROMPT)
    assert says in str(caught.value) and token not in str(caught.value)
    assert list(hub.m365.invocations) == []


async def test_an_expired_token_never_leaves_the_client(hub: Hub, url: str) -> None:
    token = make_test_token(lifetime=-120)
    with pytest.raises(errors.NotAuthorized, match="expired 2 minutes ago"):
        async with M365Client(url=url, token=token, timeouts=PATIENT) as m365:
            await m365.ask_text(PROMPT)
    assert list(hub.m365.queries) == []


async def test_the_hub_refuses_an_expired_token_at_the_upgrade(hub: Hub, url: str) -> None:
    # A client whose clock is behind still learns, from the 401, what to do.
    hub.m365.now = lambda: 4_000_000_000.0
    with pytest.raises(errors.NotAuthorized, match="rejected the token") as caught:
        await events_of(url)
    assert "copy a fresh token" in str(caught.value)
    assert list(hub.m365.rejections) == ["the token has expired"]


async def test_the_token_never_reaches_a_cassette_or_a_repr(
    hub: Hub, url: str, tmp_path: object
) -> None:
    from pathlib import Path

    token = make_test_token()
    cassette = Path(str(tmp_path)) / "turn.jsonl"
    async with M365Client(url=url, token=token, timeouts=PATIENT, record=cassette) as m365:
        await m365.ask_text(PROMPT)
        assert token not in repr(m365) and "token=TokenSource(a value)" in repr(m365)
    text = cassette.read_text()
    assert text and token not in text and unquote(token) not in text
    assert token.split(".")[1] not in text


def test_every_scenario_has_a_line_in_the_registry() -> None:
    assert set(M365_SCENARIOS) >= {
        "stream",
        "deltas",
        "snapshots",
        "markup",
        "echo-only",
        "search",
        "disengaged",
        "throttled",
        "stop-wait",
        "close",
        "close-error",
        "ping-storm",
    }
    assert all(s.summary for s in M365_SCENARIOS.values())


async def test_the_hub_serves_bing_and_m365_at_once(hub: Hub, url: str) -> None:
    from g4f.client import BingClient

    async with BingClient(url=url) as bing, client(url) as m365:
        both = await asyncio.gather(bing.ask_text(PROMPT), m365.ask_text(PROMPT))
    assert both[0] == ANSWER and both[1] == ANSWER.replace("Precise", "Magic")
    assert TEST_OID in {c.oid for c in hub.m365.conversations.values()}


async def test_the_token_never_reaches_a_log(caplog: pytest.LogCaptureFixture) -> None:
    token = make_test_token()
    hub = Hub()
    with caplog.at_level(logging.DEBUG):  # the hub's end included: it logs as requests end
        async with running_hub(hub) as base, M365Client(url=base, token=token) as m365:
            await m365.ask_text(PROMPT)
            hub.m365.now = lambda: 4_000_000_000.0
            with pytest.raises(errors.NotAuthorized):
                await m365.ask_text(PROMPT)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert token.split(".")[1] not in logged  # the claims part: the same URL-encoded or not


async def test_the_hub_forgets_the_oldest_conversations_past_its_cap() -> None:
    hub = Hub(max_conversations=2)
    async with running_hub(hub) as base, client(base) as m365:
        kept = []
        for prompt in ("one", "two", "three"):
            conversation = await m365.start_conversation()
            await m365.ask_text(prompt, conversation=conversation)
            kept.append(conversation.conversation_id)
        await hub.wait_closed()
    assert list(hub.m365.conversations) == kept[1:]


async def test_a_malformed_invocation_gets_a_failed_result_not_a_crash(url: str) -> None:
    import aiohttp

    from g4f.services.m365 import M365Dialect, TokenSource

    service = M365Dialect(TokenSource(value=make_test_token()), base_url=url)
    conversation = await service.create_conversation(None, "precise", 1)  # type: ignore[arg-type]
    address = service.websocket_url(conversation)
    assert address is not None
    async with aiohttp.ClientSession() as session, session.ws_connect(address) as ws:
        await ws.send_str('{"protocol":"json","version":1}\x1e')
        await ws.send_str('{"type":4,"target":"chat","invocationId":"0","arguments":[{}]}\x1e')
        received = ""
        while '"type":3' not in received:
            received += (await ws.receive(timeout=10)).data
    assert '"value":"InvalidRequest"' in received and "no message" in received


async def test_another_users_conversation_is_neither_continued_nor_replaced(
    hub: Hub, url: str
) -> None:
    async with client(url) as owner:
        conversation = await owner.start_conversation()
        await owner.ask_text("mine", conversation=conversation)
    intruder_token = make_test_token(oid="someone-else")
    for turn in (0, 1):  # as a new conversation, and as the next turn of it
        stolen = Conversation.from_dict({**conversation.to_dict(), "turn": turn})
        async with client(url, token=intruder_token) as intruder:
            with pytest.raises(errors.ConversationExpired):
                await intruder.ask_text("theirs", conversation=stolen)
    assert hub.m365.conversations[conversation.conversation_id].history == [
        ("mine", ANSWER.replace("«" + PROMPT + "»", "«mine»").replace("Precise", "Magic"))
    ]


async def test_a_turn_failing_after_the_token_expired_keeps_its_error_and_text(
    hub: Hub, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    hub.m365.scenario = "close"
    token = make_test_token()
    expired = [False]
    async with client(url, token=token) as m365:
        source = m365.service.token
        monkeypatch.setattr(source, "_now", lambda: time.time() + (7200 if expired[0] else 0))
        with pytest.raises(errors.ConnectionClosed) as caught:
            async for _ in m365.ask(PROMPT):
                expired[0] = True  # the token expires while the answer streams
    assert caught.value.partial_text and ANSWER.startswith(caught.value.partial_text[:20])
    texts, link = [], caught.value
    while link is not None:
        texts += [str(link), repr(link), repr(link.args)]
        link = link.__cause__ or link.__context__  # type: ignore[assignment]
    assert not [form for form in (token, token.split(".")[1]) if form in "\n".join(texts)]
