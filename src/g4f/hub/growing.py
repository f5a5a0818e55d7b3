"""How the hub grows an answer over a stream of cumulative updates: Bing's updates and the Chat
API's snapshots. (Microsoft 365's side streams deltas, with a cumulative snapshot every third
one as the service does, and does not use this bound yet.)"""

from __future__ import annotations

import re

__all__ = ["MAX_UPDATES", "prefix_ends", "prefixes"]

_TOKEN = re.compile(r"\s*\S+")

MAX_UPDATES = 500
"""The most updates one answer streams: longer answers add several words per update, so the
cumulative updates of a long answer cannot grow quadratically without bound."""


def prefix_ends(text: str) -> list[int]:
    """Where each cumulative text of :func:`prefixes` ends in ``text`` (at most
    :data:`MAX_UPDATES` of them, the last ``len(text)``)."""
    ends = [m.end() for m in _TOKEN.finditer(text)] or [len(text)]
    if ends[-1] != len(text):
        ends.append(len(text))
    step = -(-len(ends) // MAX_UPDATES)  # ceiling division
    if step > 1:
        ends = sorted({*ends[step - 1 :: step], len(text)})
    return ends


def prefixes(text: str) -> list[str]:
    """The cumulative texts of a stream that adds one word at a time (several at a time past
    :data:`MAX_UPDATES` words)."""
    return [text[:end] for end in prefix_ends(text)]
