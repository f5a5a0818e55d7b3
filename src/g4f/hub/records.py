"""The server's records, in the exact shapes of CHATHUB.md §4. Pure builders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..protocol import RecordType
from ..protocol.framing import Record
from ..services.bing.constants import MessageType, ResultValue

__all__ = [
    "APOLOGY_TEXT",
    "TURN_LIMIT_TEXT",
    "bot_message",
    "close_record",
    "completion_record",
    "failure_final",
    "final_record",
    "progress_message",
    "throttling",
    "update_record",
]

SERVICE_VERSION = "20230427.71"


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
    content_origin: str = "DeepLeo",
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
        "contentOrigin": "DeepLeo",
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
        "target": "update",
        "arguments": [{"requestId": request_id, "messages": list(messages)}],
    }


def throttling(used: int, limit: int) -> dict[str, int]:
    """The ``throttling`` object: ``used`` turns of at most ``limit``."""
    return {"maxNumUserMessagesInConversation": limit, "numUserMessagesInConversation": used}


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
                "value": ResultValue.SUCCESS.value,
                "message": answer.get("text", ""),
                "serviceVersion": SERVICE_VERSION,
            },
        },
    }


def failure_final(
    invocation_id: str,
    value: str,
    message: str,
    *,
    with_error: bool = True,
    messages: Sequence[dict[str, Any]] | None = None,
) -> Record:
    """A failed type-2 record; ``error`` and ``messages`` are optional, as in the wild."""
    result: dict[str, Any] = {"value": value, "message": message}
    if with_error:
        result["error"] = message
    item: dict[str, Any] = {"result": result}
    if messages is not None:
        item["messages"] = list(messages)
    return {"type": int(RecordType.STREAM_ITEM), "invocationId": invocation_id, "item": item}


def completion_record(invocation_id: str) -> Record:
    """The type-3 record that ends an invocation."""
    return {"type": int(RecordType.COMPLETION), "invocationId": invocation_id}


def close_record() -> Record:
    """The type-7 record a server sends before closing."""
    return {
        "type": int(RecordType.CLOSE),
        "error": "Connection closed with an error.",
        "allowReconnect": True,
    }


APOLOGY_TEXT = (
    "Sorry! That's on me, I can't give a response to that right now. What else can I help you with?"
)
TURN_LIMIT_TEXT = "Sorry, this conversation has reached its limit. Let's start over."
