"""Every magic string of the ChatHub protocol, named once (see CHATHUB.md)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

RECORD_SEPARATOR = "\x1e"


class RecordType(IntEnum):
    """SignalR record types used by ChatHub."""

    INVOCATION = 1
    STREAM_ITEM = 2
    COMPLETION = 3
    STREAM_INVOCATION = 4
    CANCEL_INVOCATION = 5
    PING = 6
    CLOSE = 7


class Style(StrEnum):
    """The three official conversation styles ("tones")."""

    CREATIVE = "creative"
    BALANCED = "balanced"
    PRECISE = "precise"

    @property
    def tone(self) -> str:
        """The value of the invocation's ``tone`` field."""
        return self.value.capitalize()

    @property
    def option_sets(self) -> tuple[str, ...]:
        """The option sets this style adds to :data:`COMMON_OPTION_SETS`."""
        return _STYLE_OPTION_SETS[self]

    @classmethod
    def parse(cls, name: str | Style) -> Style:
        """Return the style named ``name`` (case-insensitive), or raise ``ValueError``."""
        if isinstance(name, Style):
            return name
        try:
            return cls(name.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown style {name!r}; choose one of: {choices}") from None


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
CHAT_TARGET = "chat"
UPDATE_TARGET = "update"
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
