"""The hub's side for Microsoft 365 Copilot's documented Chat API (M365-CHAT-API.md): both hosts'
paths (:mod:`.side`), every event layout and answer form (:mod:`.layouts`), unsigned test tokens
(:func:`make_chatapi_token`) and the identity platform MSAL signs in with (:mod:`.identity`)."""

from .identity import DEVICE_OUTCOMES, IdentityPlatform
from .layouts import SCENARIOS as CHATAPI_SCENARIOS
from .side import ChatApiConversation, ChatApiHub
from .tokens import make_chatapi_token

__all__ = [
    "CHATAPI_SCENARIOS",
    "DEVICE_OUTCOMES",
    "ChatApiConversation",
    "ChatApiHub",
    "IdentityPlatform",
    "make_chatapi_token",
]
