"""Microsoft 365 Copilot's Chathub (M365-CHATHUB.md) on the service seam: the user's own token
or pasted websocket URL (:class:`TokenSource`, checked before connecting; :func:`describe_token`
for ``g4f token``), every kind of account (:class:`Plan`), the service's requests
(:class:`M365Dialect`: the browser's 2026 invocation and query, tones, ``stop``, image upload)
and its turn reader (:class:`M365TurnReader`: ``writeAtCursor`` deltas reconciled with
snapshots, ``Disengaged`` as :class:`~g4f.errors.Refused`, every throttling form as
:class:`~g4f.errors.RateLimited`, refused and dead tones as :class:`~g4f.errors.UnknownTone`, a
refused request shape as :class:`~g4f.errors.InvocationRejected`).
:class:`g4f.client.M365Client` is the client.
"""

from .account import DEFAULT_PLAN, HOSTS, ChathubUrl, Plan, check_plan, parse_chathub_url
from .dialect import DEFAULT_TONE, TONES, M365Dialect
from .invocation import build_m365_invocation, chathub_query, metrics_record
from .reader import M365TurnReader
from .report import TokenReport, describe_token
from .source import TokenSource
from .token import AUDIENCE, ENV_TOKEN, TOKEN_HINT, Token, strip_bearer
from .tones import friendly_name, known_tones, normalise_tone

__all__ = [
    "AUDIENCE",
    "DEFAULT_PLAN",
    "DEFAULT_TONE",
    "ENV_TOKEN",
    "HOSTS",
    "TOKEN_HINT",
    "TONES",
    "ChathubUrl",
    "M365Dialect",
    "M365TurnReader",
    "Plan",
    "Token",
    "TokenReport",
    "TokenSource",
    "build_m365_invocation",
    "chathub_query",
    "check_plan",
    "describe_token",
    "friendly_name",
    "known_tones",
    "metrics_record",
    "normalise_tone",
    "parse_chathub_url",
    "strip_bearer",
]
