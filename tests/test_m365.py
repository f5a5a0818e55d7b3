"""Microsoft 365 Copilot's foundation: the user's token, checked before connecting, and the
service's requests (M365-CHATHUB.md §1–§4). No socket is needed."""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from g4f import errors
from g4f.protocol import Style
from g4f.protocol.conversation import Conversation
from g4f.services import Turn
from g4f.services.m365 import AUDIENCE, TOKEN_HINT, M365Dialect, Token, TokenSource

NOW = 1_800_000_000.0


def make_token(**claims: object) -> str:
    """An unsigned test token (the client reads claims; it cannot check signatures)."""
    payload = {"aud": AUDIENCE, "oid": "user-1", "tid": "tenant-1", "exp": NOW + 3600, **claims}

    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(payload)}.c2ln+/="


def test_a_good_token_gives_its_ids_and_hides_itself() -> None:
    value = make_token()
    token = Token.parse(value, now=lambda: NOW)
    assert (token.oid, token.tid) == ("user-1", "tenant-1")
    assert value not in repr(token) and "<redacted>" in repr(token)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("abc", "not three dot-separated parts"),
        ("a.%%%.c", "claims cannot be read"),
        (make_token(oid=None), "no user (oid) or tenant (tid)"),
        (make_token(tid=""), "no user (oid) or tenant (tid)"),
        (make_token(exp=NOW - 600), "expired 10 minutes ago (at 2027-01-15T07:50:00+00:00)"),
    ],
)
def test_a_bad_token_is_not_authorized_with_how_to_get_a_fresh_one(value: str, says: str) -> None:
    with pytest.raises(errors.NotAuthorized) as caught:
        Token.parse(value, now=lambda: NOW)
    assert says in str(caught.value) and TOKEN_HINT in str(caught.value)
    assert value not in str(caught.value) and value not in repr(caught.value)


def test_a_wrong_audience_is_a_warning_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    value = make_token(aud="https://graph.microsoft.com")
    with caplog.at_level(logging.WARNING):
        Token.parse(value, now=lambda: NOW)
    assert "audience" in caplog.text and value not in caplog.text


def test_a_token_file_is_re_read_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(f"  {make_token(oid='first')}\n")
    source = TokenSource.resolve(token_file=path, now=lambda: NOW)
    assert source.current().oid == "first"
    path.write_text(make_token(oid="second-and-longer"))
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    assert source.current().oid == "second-and-longer"
    assert str(path) in repr(source) and "second" not in repr(source)


def test_a_token_that_expires_while_kept_is_refused_then() -> None:
    clock = [NOW]
    source = TokenSource(value=make_token(exp=NOW + 60), now=lambda: clock[0])
    source.current()
    clock[0] += 120
    with pytest.raises(errors.NotAuthorized, match="expired 60 seconds ago"):
        source.current()


def test_the_token_comes_from_the_argument_the_file_or_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("M365_COPILOT_TOKEN", make_token(oid="env"))
    assert TokenSource.resolve(now=lambda: NOW).current().oid == "env"
    assert TokenSource.resolve(make_token(oid="arg"), now=lambda: NOW).current().oid == "arg"
    monkeypatch.delenv("M365_COPILOT_TOKEN")
    with pytest.raises(errors.NotAuthorized, match="--token-file FILE"):
        TokenSource.resolve()
    with pytest.raises(errors.NotAuthorized, match="cannot read the token file"):
        TokenSource.resolve(token_file=tmp_path / "missing").current()


def service(**kwargs: object) -> M365Dialect:
    counter = iter(range(1000))
    return M365Dialect(
        TokenSource(value=make_token(), now=lambda: NOW),
        ids=lambda: f"id-{next(counter)}",
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_conversation_is_made_up_by_the_client_without_a_request() -> None:
    async def no_http(*args: object, **kwargs: object) -> object:
        raise AssertionError("M365 conversations are not created over HTTP")

    conversation = await service().create_conversation(no_http, Style.PRECISE, 5)  # type: ignore[arg-type]
    assert (conversation.conversation_id, conversation.client_id) == ("id-0", "id-1")
    assert conversation.tone == "Magic"


def test_the_websocket_url_carries_the_ids_and_the_encoded_token() -> None:
    m365 = service(base_url="http://127.0.0.1:8765")
    conversation = Conversation("conv", "session")
    url = m365.websocket_url(conversation)
    assert url is not None and m365.websocket_url(None) is None
    parts = urlsplit(url)
    assert (parts.scheme, parts.path) == ("ws", "/m365Copilot/Chathub/user-1@tenant-1")
    assert (
        "source=%22officeweb%22" in parts.query and "+" not in parts.query.split("access_token=")[1]
    )
    query = parse_qs(parts.query)
    assert query["ConversationId"] == ["conv"] and query["X-SessionId"] == ["session"]
    assert unquote(parts.query.split("access_token=")[1].split("&")[0]) == make_token()
    assert m365.headers()["Origin"] == "https://m365.cloud.microsoft"
    assert m365.websocket_per_turn and m365.secrets(conversation) == [make_token()]


def test_the_turn_is_an_invocation_and_a_metrics_record() -> None:
    m365 = service()
    conversation = Conversation("conv", "session", tone="Gpt_Quick")
    first, metrics = m365.invocation(conversation, Turn("Hi", Style.PRECISE))
    argument = first["arguments"][0]
    assert (first["type"], first["target"], first["invocationId"]) == (4, "chat", "0")
    assert (argument["conversationId"], argument["sessionId"]) == ("conv", "session")
    # The browser sends false even on a conversation's first turn (M365-CHATHUB.md §3).
    assert argument["isStartOfSession"] is False and argument["tone"] == "Gpt_Quick"
    assert argument["plugins"] == [{"Id": "BingWebSearch", "Source": "BuiltIn"}]
    assert (metrics["type"], metrics["target"]) == (1, "Metrics")
    conversation.turn, conversation.tone = 1, "X"  # a tone given with the turn (ChatHubClient.ask)
    later, _ = m365.invocation(conversation, Turn("And?", Style.PRECISE, search=False))
    assert later["arguments"][0]["isStartOfSession"] is False
    assert later["arguments"][0]["message"]["text"] == "And?"
    assert later["arguments"][0]["plugins"] == [] and later["arguments"][0]["tone"] == "X"
    assert m365.stop_record(conversation) == {
        "type": 1, "target": "stop", "invocationId": "1", "arguments": [{}]
    }  # fmt: skip


def test_a_base_url_without_a_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="base URL"):
        service(base_url="127.0.0.1:8765")


def test_a_broken_new_token_file_is_reported_every_time_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(make_token())
    source = TokenSource(path=path, now=lambda: NOW)
    source.current()
    path.write_text("half a tok")
    os.utime(path, ns=(2, 2))
    for _ in range(2):
        with pytest.raises(errors.NotAuthorized, match="malformed"):
            source.current()
