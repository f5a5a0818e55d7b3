"""Microsoft 365 Copilot's Chathub (M365-CHATHUB.md) on the service seam.

Status: the token handling, the service's requests and its turn reader (``writeAtCursor``
deltas reconciled with snapshots, ``Disengaged`` as :class:`~g4f.errors.Refused`, throttled empty
answers as :class:`~g4f.errors.RateLimited`) are here and tested without a socket; the hub's
side, images, unknown tones named in their error, and the surfaces (``--service m365``) are
still to come, so no surface offers it yet.
"""

from .reader import M365TurnReader
from .service import DEFAULT_TONE, TONES, M365Service, build_m365_invocation
from .token import AUDIENCE, ENV_TOKEN, TOKEN_HINT, Token, TokenSource

__all__ = [
    "AUDIENCE",
    "DEFAULT_TONE",
    "ENV_TOKEN",
    "TOKEN_HINT",
    "TONES",
    "M365Service",
    "M365TurnReader",
    "Token",
    "TokenSource",
    "build_m365_invocation",
]
