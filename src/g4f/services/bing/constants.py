"""Every magic string of Bing's 2023 ChatHub dialect, named once (see CHATHUB.md)."""

from __future__ import annotations

from enum import StrEnum

from ...protocol.constants import CHAT_TARGET, UPDATE_TARGET, Style

__all__ = [
    "ACCESS_TOKEN_PARAM",
    "ALLOWED_MESSAGE_TYPES",
    "CHATHUB_PATH",
    "CHAT_TARGET",
    "COMMON_OPTION_SETS",
    "CONTEXT_MESSAGE_ID",
    "CREATE_PATH",
    "ENCRYPTED_SIGNATURE_HEADER",
    "NO_SEARCH_OPTION_SET",
    "SIGNATURE_HEADER",
    "SOURCE",
    "UPDATE_TARGET",
    "ContentOrigin",
    "MessageType",
    "ResultValue",
    "style_option_sets",
    "style_tone",
]


def style_tone(style: Style) -> str:
    """The value of the invocation's ``tone`` field for ``style``."""
    return style.value.capitalize()


def style_option_sets(style: Style) -> tuple[str, ...]:
    """The option sets ``style`` adds to :data:`COMMON_OPTION_SETS`."""
    return _STYLE_OPTION_SETS[style]


_STYLE_OPTION_SETS: dict[Style, tuple[str, ...]] = {
    Style.CREATIVE: ("h3imaginative", "clgalileo", "gencontentv3"),
    Style.BALANCED: ("galileo",),
    Style.PRECISE: ("h3precise", "clgalileo"),
}

COMMON_OPTION_SETS: tuple[str, ...] = (
    "nlu_direct_response_filter",
    "deepleo",
    "disable_emoji_spoken_text",
    "responsible_ai_policy_235",
    "enablemm",
    "dv3sugg",
)
NO_SEARCH_OPTION_SET = "nosearchall"

ALLOWED_MESSAGE_TYPES: tuple[str, ...] = (
    "Chat",
    "InternalSearchQuery",
    "Disengaged",
    "Context",
    "Progress",
    "SemanticSerp",
    "GenerateContentQuery",
    "SearchQuery",
    "ActionRequest",
)


class MessageType(StrEnum):
    """Values of a message's ``messageType`` field."""

    CHAT = "Chat"
    CONTEXT = "Context"
    INTERNAL_SEARCH_QUERY = "InternalSearchQuery"
    INTERNAL_SEARCH_RESULT = "InternalSearchResult"
    INTERNAL_LOADER_MESSAGE = "InternalLoaderMessage"
    PROGRESS = "Progress"
    GENERATE_CONTENT_QUERY = "GenerateContentQuery"
    RENDER_CARD_REQUEST = "RenderCardRequest"
    SUGGESTION = "Suggestion"


class ContentOrigin(StrEnum):
    """Values of a bot message's ``contentOrigin`` field that change its meaning."""

    APOLOGY = "Apology"
    TURN_LIMITER = "TurnLimiter"


class ResultValue(StrEnum):
    """Values of ``result.value`` in a final record or a create response."""

    SUCCESS = "Success"
    THROTTLED = "Throttled"
    PER_HOUR_THROTTLED = "PerHourThrottled"
    CAPTCHA_CHALLENGE = "CaptchaChallenge"
    UNAUTHORIZED_REQUEST = "UnauthorizedRequest"
    INVALID_SESSION = "InvalidSession"
    INVALID_REQUEST = "InvalidRequest"
    PROCESSING_MESSAGE = "ProcessingMessage"


SOURCE = "cib"
CONTEXT_MESSAGE_ID = "discover-web--page-ping-mriduna-----"

CREATE_PATH = "/turing/conversation/create"
"""The HTTPS path that creates a conversation (CHATHUB.md §1)."""
CHATHUB_PATH = "/sydney/ChatHub"
"""The websocket path of the hub (CHATHUB.md §2)."""
SIGNATURE_HEADER = "X-Sydney-Conversationsignature"
"""Create-response header with the conversation signature (Oct 2023+ shape)."""
ENCRYPTED_SIGNATURE_HEADER = "X-Sydney-Encryptedconversationsignature"
"""Create-response header with the encrypted signature, sent back as ``sec_access_token``."""
ACCESS_TOKEN_PARAM = "sec_access_token"
"""The websocket URL's query parameter carrying the encrypted signature."""
