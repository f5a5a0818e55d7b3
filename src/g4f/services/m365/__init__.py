"""Microsoft 365 Copilot's Chathub (M365-CHATHUB.md) on the service seam: the user's own token
(:class:`TokenSource`, checked before connecting), the service's requests
(:class:`M365Dialect`: client-made ids, tones, ``stop``, image upload) and its turn reader
(:class:`M365TurnReader`: ``writeAtCursor`` deltas reconciled with snapshots, ``Disengaged`` as
:class:`~g4f.errors.Refused`, throttled empty answers as :class:`~g4f.errors.RateLimited`, refused
tones as :class:`~g4f.errors.UnknownTone`). :class:`g4f.client.M365Client` is the client.
"""

from .dialect import DEFAULT_TONE, TONES, M365Dialect, build_m365_invocation
from .reader import M365TurnReader
from .token import AUDIENCE, ENV_TOKEN, TOKEN_HINT, Token, TokenSource
from .tones import known_tones

__all__ = [
    "AUDIENCE",
    "DEFAULT_TONE",
    "ENV_TOKEN",
    "TOKEN_HINT",
    "TONES",
    "M365Dialect",
    "M365TurnReader",
    "Token",
    "TokenSource",
    "build_m365_invocation",
    "known_tones",
]
