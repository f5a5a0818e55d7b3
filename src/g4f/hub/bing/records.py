"""Bing's records, in the exact shapes of CHATHUB.md §4. Pure builders (the ones both sides
share are in :mod:`g4f.hub.records`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...protocol.constants import RecordType
from ...protocol.framing import Record
from ..records import throttling
from .spec import SERVICE_VERSION, UPDATE_TARGET, ContentOrigin, MessageType, Result

__all__ = ["bot_message", "close_record", "final_record", "progress_message", "update_record"]


def _text_card(text: str, *, image_first: bool = False) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if image_first:
        body.append({"type": "Image", "url": "https://example.com/image.png", "altText": "image"})
    body.append({"type": "TextBlock", "text": text, "wrap": True})
    return {"type": "AdaptiveCard", "version": "1.0", "body": body}


def bot_message(
    text: str,
    message_id: str,
    *,
    timestamp: str,
    content_origin: str = ContentOrigin.DEEP_LEO.value,
    sources: Sequence[tuple[str, str]] = (),
    search_query: str | None = None,
    suggestions: Sequence[str] = (),
    image_first: bool = False,
) -> dict[str, Any]:
    """A bot answer message with its adaptive card (card text carries footnote markers)."""
    card_text = text + "".join(f" [^{i}^]" for i in range(1, len(sources) + 1))
    message: dict[str, Any] = {
        "author": "bot",
        "text": text,
        "messageId": message_id,
        "createdAt": timestamp,
        "timestamp": timestamp,
        "contentOrigin": content_origin,
        "offense": "Unknown",
        "privacy": None,
        "adaptiveCards": [_text_card(card_text, image_first=image_first)],
        "sourceAttributions": [
            {"providerDisplayName": title, "seeMoreUrl": url, "searchQuery": search_query or ""}
            for title, url in sources
        ],
        "feedback": {"tag": None, "updatedOn": None, "type": "None"},
    }
    if suggestions:
        message["suggestedResponses"] = [
            {"text": s, "author": "user", "messageType": MessageType.SUGGESTION.value}
            for s in suggestions
        ]
    return message


def progress_message(
    text: str, message_type: MessageType, message_id: str, *, timestamp: str
) -> dict[str, Any]:
    """A progress line ("Searching for: …") whose card is a ``RichTextBlock``."""
    return {
        "author": "bot",
        "text": text,
        "hiddenText": text,
        "messageId": message_id,
        "messageType": message_type.value,
        "createdAt": timestamp,
        "timestamp": timestamp,
        "contentOrigin": ContentOrigin.DEEP_LEO.value,
        "privacy": None,
        "adaptiveCards": [
            {
                "type": "AdaptiveCard",
                "version": "1.0",
                "body": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text}]}],
            }
        ],
    }


def update_record(request_id: str, messages: Sequence[dict[str, Any]]) -> Record:
    """A type-1 ``update`` carrying the given messages (cumulative text)."""
    return {
        "type": int(RecordType.INVOCATION),
        "target": UPDATE_TARGET,
        "arguments": [{"requestId": request_id, "messages": list(messages)}],
    }


def final_record(
    invocation_id: str,
    *,
    prompt: str,
    answer: dict[str, Any],
    conversation_id: str,
    request_id: str,
    expiry_time: str,
    used: int,
    limit: int,
    extra_messages: Sequence[dict[str, Any]] = (),
) -> Record:
    """The successful type-2 record of a turn: user message, then the bot's messages."""
    return {
        "type": int(RecordType.STREAM_ITEM),
        "invocationId": invocation_id,
        "item": {
            "messages": [
                {"author": "user", "text": prompt, "messageId": request_id},
                *extra_messages,
                answer,
            ],
            "firstNewMessageIndex": 1,
            "conversationId": conversation_id,
            "requestId": request_id,
            "conversationExpiryTime": expiry_time,
            "throttling": throttling(used, limit),
            "result": {
                "value": Result.SUCCESS.value,
                "message": answer.get("text", ""),
                "serviceVersion": SERVICE_VERSION,
            },
        },
    }


def close_record() -> Record:
    """The type-7 record a server sends before closing."""
    return {
        "type": int(RecordType.CLOSE),
        "error": "Connection closed with an error.",
        "allowReconnect": True,
    }
