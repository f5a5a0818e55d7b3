"""Microsoft 365 Copilot's Chathub as the hub serves it, spelled from M365-CHATHUB.md — not
imported from the client, so that a wrong constant on either side fails a test instead of
being wrong on both."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ACCESS_TOKEN_PARAM",
    "AUDIENCE",
    "CHATHUB_PATH",
    "CHAT_TARGET",
    "CONVERSATION_ID_PARAM",
    "CONVERSATION_TTL",
    "DEFAULT_MAX_MESSAGES",
    "DEFAULT_TONE",
    "IMAGE_TYPES",
    "METRICS_TARGET",
    "SCOPES",
    "SERVICE_VERSION",
    "SESSION_ID_PARAM",
    "SOURCE",
    "STOPPED_TEXT",
    "STOP_TARGET",
    "TONES",
    "UNKNOWN_TONE_ERROR",
    "UPDATE_TARGET",
    "UPLOAD_PATH",
    "UPLOAD_SCENARIO",
    "Result",
]

AUDIENCE = "https://substrate.office.com/sydney"
"""§1: the audience (``aud``) of a work/school token."""
SCOPES = "sydney.readwrite M365Chat.Read"
"""§1: scopes a work/school token carries."""
CHATHUB_PATH = "/m365Copilot/Chathub/{oid}@{tid}"
"""§2: the websocket's path, of the token's user and tenant."""
ACCESS_TOKEN_PARAM = "access_token"
"""§2: the query parameter carrying the token."""
CONVERSATION_ID_PARAM = "ConversationId"
"""§2: the query parameter carrying the conversation id the client made."""
SESSION_ID_PARAM = "X-SessionId"
"""§2: the query parameter carrying the session id."""
SOURCE = "officeweb"
"""§3: the invocation's ``source``."""
CHAT_TARGET = "chat"
"""§3: the target of a user turn's invocation (type 4)."""
METRICS_TARGET = "Metrics"
"""§3: the target of the ``Metrics`` records (type 1) sent with the invocation."""
STOP_TARGET = "stop"
"""§4: the target of the record (type 1) that stops an answer."""
UPDATE_TARGET = "update"
"""§5: the target of the server's progress records."""
UPLOAD_PATH = "/m365Copilot/UploadFile"
"""§6: the path an image is uploaded to."""
UPLOAD_SCENARIO = "UploadImage"
"""§6: the ``scenario`` field of an image upload."""
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
"""The image types the hub takes in ``FileBase64``, with the ``fileType`` it answers (§6)."""

DEFAULT_TONE = "Magic"
"""§3: the tone of an invocation that names none (automatic, the default)."""
TONES: tuple[str, ...] = (
    "Magic",
    "magic",
    "Chat",
    "Reasoning",
    "Gpt_Quick",
    "Gpt_Reasoning",
    "Gpt_5_5_Chat",
    "Gpt_5_5_Reasoning",
    "Gpt_5_6_Reasoning",
    "Claude_Sonnet",
    "Claude_Sonnet_Reasoning",
    "Claude_Opus",
)
"""§3: the tones seen accepted in 2026; the hub refuses any other, as the service does."""
UNKNOWN_TONE_ERROR = (
    "Failed to invoke 'Chat' due to an error on the server. HubException: "
    "The tone '{tone}' is not supported."
)
"""§3: the type-3 ``error`` refusing a tone (the reference quotes its start)."""
STOPPED_TEXT = "You have stopped this conversation."
"""§4: what the service puts in place of an answer that was stopped."""
SERVICE_VERSION = "1.0.03470.39393"
"""§5: a ``result.serviceVersion`` as the service sent it."""
DEFAULT_MAX_MESSAGES = 600
"""§7: user messages a conversation may have (``maxNumUserMessagesInConversation``)."""
CONVERSATION_TTL = 30 * 86400.0
"""§7: seconds a conversation lives (about 30 days)."""


class Result(StrEnum):
    """§5: the ``result.value`` strings the hub sends ("as on Bing")."""

    SUCCESS = "Success"
    INVALID_REQUEST = "InvalidRequest"
    INVALID_SESSION = "InvalidSession"
    PROCESSING_MESSAGE = "ProcessingMessage"
