"""Microsoft 365 Copilot's Chathub (M365-CHATHUB.md) on the service seam.

Status: the token handling and the service's requests are here and tested; reading its answers
(``writeAtCursor`` deltas reconciled with snapshots, ``Disengaged``), the hub's side and the
surfaces (``--service m365``) are still to come, so no surface offers it yet.
"""

from .service import DEFAULT_TONE, TONES, M365Service, build_m365_invocation
from .token import AUDIENCE, ENV_TOKEN, TOKEN_HINT, Token, TokenSource

__all__ = [
    "AUDIENCE",
    "DEFAULT_TONE",
    "ENV_TOKEN",
    "TOKEN_HINT",
    "TONES",
    "M365Service",
    "Token",
    "TokenSource",
    "build_m365_invocation",
]
