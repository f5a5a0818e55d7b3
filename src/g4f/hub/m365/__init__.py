"""The hub's Microsoft 365 Copilot side (M365-CHATHUB.md): the Chathub websocket and
``UploadFile``, their scenarios (:mod:`g4f.hub.m365.scripts`), its own reading of tokens
(:mod:`g4f.hub.m365.token`) and uploads, with every literal spelled from the reference in
:mod:`g4f.hub.m365.spec`."""

from .scripts import M365_SCENARIOS
from .side import M365Conversation, M365Hub
from .spec import DEFAULT_MAX_MESSAGES
from .token import TEST_OID, TEST_TID, make_encrypted_test_token, make_test_token
from .uploads import Upload

__all__ = [
    "DEFAULT_MAX_MESSAGES",
    "M365_SCENARIOS",
    "TEST_OID",
    "TEST_TID",
    "M365Conversation",
    "M365Hub",
    "Upload",
    "make_encrypted_test_token",
    "make_test_token",
]
