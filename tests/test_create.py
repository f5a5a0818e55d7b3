"""Creating a conversation: both response shapes and every failure, pure and over HTTP."""

from __future__ import annotations

import json

import pytest

from g4f.client import BingClient
from g4f.errors import (
    AccessDenied,
    ChallengeRequired,
    NotAuthorized,
    ProtocolError,
    RateLimited,
    RequestRefused,
    ServerError,
)
from g4f.hub import Hub
from g4f.services.bing.dialect import parse_create

IDS = {"conversationId": "c1", "clientId": "u1", "result": {"value": "Success", "message": None}}


def test_2023_shape_takes_the_signature_from_the_body() -> None:
    conversation = parse_create(200, {}, json.dumps({**IDS, "conversationSignature": "s1"}))
    assert (conversation.conversation_id, conversation.client_id) == ("c1", "u1")
    assert (conversation.signature, conversation.encrypted_signature) == ("s1", None)


def test_a_body_signature_makes_the_access_token_unneeded() -> None:
    headers = {"X-Sydney-Encryptedconversationsignature": "e"}
    conversation = parse_create(200, headers, json.dumps({**IDS, "conversationSignature": "s"}))
    assert (conversation.signature, conversation.encrypted_signature) == ("s", None)


def test_late_2023_shape_takes_the_signatures_from_headers() -> None:
    headers = {
        "X-Sydney-Conversationsignature": "s2",
        "X-Sydney-Encryptedconversationsignature": "e2",
    }
    conversation = parse_create(200, headers, json.dumps(IDS))
    assert (conversation.signature, conversation.encrypted_signature) == ("s2", "e2")


def test_signatures_are_not_in_the_repr() -> None:
    headers = {"X-Sydney-Encryptedconversationsignature": "secret-e"}
    conversation = parse_create(
        200, headers, json.dumps({**IDS, "conversationSignature": "secret-s"})
    )
    assert "secret" not in repr(conversation)


@pytest.mark.parametrize(
    ("status", "headers", "body", "error", "text"),
    [
        (200, {}, "<html>captcha</html>", ChallengeRequired, "web page"),
        (200, {}, "", ChallengeRequired, "empty body"),
        (200, {}, "not json at all", ProtocolError, "not JSON"),
        (200, {}, "[1]", ProtocolError, "not an object"),
        (200, {}, json.dumps({"result": {"value": "Success"}}), RequestRefused, "conversationId"),
        (200, {}, json.dumps({"conversationId": "c"}), RequestRefused, "clientId"),
        (200, {}, json.dumps({"conversationId": "c", "clientId": "u"}), NotAuthorized, "signature"),
        (
            200,
            {},
            json.dumps(
                {
                    "result": {
                        "value": "UnauthorizedRequest",
                        "message": "Sorry, you need to login first.",
                    }
                }
            ),
            NotAuthorized,
            "login first",
        ),
        (404, {}, "", RateLimited, "HTTP 404"),
        (429, {"Retry-After": "7"}, "", RateLimited, "HTTP 429"),
        (403, {}, "", AccessDenied, "HTTP 403"),
        (500, {}, "", ServerError, "HTTP 500"),
        (418, {}, "", RequestRefused, "HTTP 418"),
    ],
)
def test_create_failures_are_typed(
    status: int, headers: dict[str, str], body: str, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        parse_create(status, headers, body)


def test_429_carries_the_retry_after_hint() -> None:
    with pytest.raises(RateLimited) as caught:
        parse_create(429, {"Retry-After": "7"}, "")
    assert caught.value.retry_after == 7.0
    assert caught.value.status == 429


@pytest.mark.parametrize(
    ("scenario", "error", "attempts"),
    [
        ("create-404", RateLimited, 4),
        ("create-429", RateLimited, 4),
        ("create-403", AccessDenied, 1),
        ("create-500", ServerError, 4),
        ("create-html", ChallengeRequired, 1),
        ("create-empty", ChallengeRequired, 1),
        ("create-not-json", ProtocolError, 1),
        ("create-missing-ids", RequestRefused, 1),
        ("create-unauthorized", NotAuthorized, 1),
    ],
)
async def test_hub_create_failures_reach_the_client_as_typed_errors(
    hub: Hub, client: BingClient, scenario: str, error: type[Exception], attempts: int
) -> None:
    hub.scenario = scenario
    with pytest.raises(error):
        await client.create_conversation()
    assert hub.conversations == {}
    assert hub.create_requests == attempts


@pytest.mark.parametrize("shape", ["both", "body", "headers"])
async def test_client_accepts_every_create_shape_of_the_hub(
    hub: Hub, client: BingClient, shape: str
) -> None:
    hub.create_shape = shape
    conversation = await client.create_conversation()
    assert conversation.conversation_id in hub.conversations
    stored = hub.conversations[conversation.conversation_id]
    assert conversation.signature == stored.signature
    # The token is needed (and kept) only when the body carries no signature.
    expected_encrypted = stored.encrypted_signature if shape == "headers" else None
    assert conversation.encrypted_signature == expected_encrypted
