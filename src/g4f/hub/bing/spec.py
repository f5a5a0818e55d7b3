"""Bing's ChatHub as the hub serves it, spelled from CHATHUB.md — not imported from the client,
so that a wrong constant on either side fails a test instead of being wrong on both."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ACCESS_TOKEN_PARAM",
    "APOLOGY_TEXT",
    "CHATHUB_PATH",
    "CHAT_TARGET",
    "CONVERSATION_TTL",
    "CREATE_PATH",
    "DEFAULT_MAX_TURNS",
    "DEFAULT_TONE",
    "ENCRYPTED_SIGNATURE_HEADER",
    "NO_SEARCH_OPTION_SET",
    "SERVICE_VERSION",
    "SIGNATURE_HEADER",
    "SOURCE",
    "TURN_LIMIT_TEXT",
    "UPDATE_TARGET",
    "ContentOrigin",
    "MessageType",
    "Result",
]

CREATE_PATH = "/turing/conversation/create"
"""§1: the HTTPS path that creates a conversation."""
SIGNATURE_HEADER = "X-Sydney-Conversationsignature"
"""§1, Oct 2023+ shape: the create response's header with the conversation signature."""
ENCRYPTED_SIGNATURE_HEADER = "X-Sydney-Encryptedconversationsignature"
"""§1, Oct 2023+ shape: the header with the encrypted signature, sent back on the websocket URL."""
CHATHUB_PATH = "/sydney/ChatHub"
"""§2: the websocket's path."""
ACCESS_TOKEN_PARAM = "sec_access_token"
"""§2: the websocket URL's query parameter carrying the encrypted signature."""
SOURCE = "cib"
"""§3: the invocation's ``source``."""
CHAT_TARGET = "chat"
"""§3: the target of a user turn's invocation."""
UPDATE_TARGET = "update"
"""§4: the target of the server's progress records."""
NO_SEARCH_OPTION_SET = "nosearchall"
"""§3: the option set that turns web search off."""
DEFAULT_TONE = "Balanced"
"""§3: the tone the hub assumes when an invocation names none."""
SERVICE_VERSION = "20230427.71"
"""§4: a ``result.serviceVersion`` as the service sent it."""
DEFAULT_MAX_TURNS = 30
"""§4: turns a conversation may have (5, 20 and 30 were all seen; 30 was the last)."""
CONVERSATION_TTL = 6 * 3600.0
"""§4: seconds a conversation lives ("Conversations expire after 06:00:00")."""
APOLOGY_TEXT = (
    "Sorry! That's on me, I can't give a response to that right now. What else can I help you with?"
)
"""§4: the text of an ``Apology`` retraction."""
TURN_LIMIT_TEXT = "Sorry, this conversation has reached its limit. Let's start over."
"""The text of the hub's ``TurnLimiter`` message (§4 names the origin, not a text)."""


class Result(StrEnum):
    """§4: the ``result.value`` strings the hub sends."""

    SUCCESS = "Success"
    UNAUTHORIZED_REQUEST = "UnauthorizedRequest"
    INVALID_SESSION = "InvalidSession"
    INVALID_REQUEST = "InvalidRequest"
    PROCESSING_MESSAGE = "ProcessingMessage"


class ContentOrigin(StrEnum):
    """§4: the ``contentOrigin`` strings of the bot messages the hub sends."""

    DEEP_LEO = "DeepLeo"
    APOLOGY = "Apology"
    TURN_LIMITER = "TurnLimiter"


class MessageType(StrEnum):
    """§4: the ``messageType`` strings of the messages the hub sends."""

    INTERNAL_SEARCH_QUERY = "InternalSearchQuery"
    INTERNAL_LOADER_MESSAGE = "InternalLoaderMessage"
    SUGGESTION = "Suggestion"
