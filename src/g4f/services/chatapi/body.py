"""The turn's request body (M365-CHAT-API.md §2), from what a caller gave: the prompt, the
earlier messages of a new conversation (``additionalContext``, one entry per message, the role in
``description``: never concatenated into the prompt), the time zone, web grounding and files."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...urls import redact_url

__all__ = ["check_file_url", "context_entries", "local_timezone", "turn_body"]

_HEADER = re.compile(r"\[([^\]\n]+)\]\(#(?:message|additional_instructions)\)\n")
_ZONEINFO = re.compile(r"zoneinfo/(.+)$")


def context_entries(context: str | None) -> list[dict[str, str]]:
    """``additionalContext`` entries for the seed's context block (``[role](#message)\\n…``),
    one per message; text in no such block is one entry described as context.

    >>> context_entries("[system](#message)\\nBe brief.\\n\\n[user](#message)\\nHi\\n\\n")
    [{'text': 'Be brief.', 'description': 'an earlier message from system'}, \
{'text': 'Hi', 'description': 'an earlier message from user'}]
    """
    if not context or not context.strip():
        return []
    pieces = _HEADER.split(context)
    entries = []
    if pieces[0].strip():
        entries.append({"text": pieces[0].strip(), "description": "context for the question"})
    for i in range(1, len(pieces) - 1, 2):
        text = pieces[i + 1].rstrip("\n")
        if text:
            entries.append({"text": text, "description": f"an earlier message from {pieces[i]}"})
    return entries


def local_timezone() -> str:
    """This machine's IANA time zone (``$TZ``, ``/etc/timezone``, the ``/etc/localtime`` link),
    ``UTC`` when none can be told."""
    tz = os.environ.get("TZ", "").lstrip(":").strip()
    if ("/" in tz and not tz.startswith("/")) or tz == "UTC":
        return tz
    try:
        named = Path("/etc/timezone").read_text(encoding="utf-8").strip()
    except OSError:
        named = ""
    if named and " " not in named:
        return named
    try:
        match = _ZONEINFO.search(os.path.realpath("/etc/localtime"))
    except OSError:
        match = None
    return match.group(1) if match else "UTC"


def check_file_url(url: str) -> str:
    """``url`` if it can be a SharePoint/OneDrive file (an ``https://`` URL), else
    ``ValueError``."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        shown = redact_url(parts._replace(query="", fragment="").geturl())  # a query may sign it
        raise ValueError(f"a file must be a SharePoint or OneDrive https:// URL, not {shown!r}")
    return url


def turn_body(
    prompt: str,
    *,
    time_zone: str,
    context: Sequence[dict[str, str]] = (),
    search: bool = True,
    files: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON body of ``chat`` / ``chatOverStream``. Web grounding is on unless ``search`` is
    off, which is said on every turn (the service's default is on)."""
    body: dict[str, Any] = {"message": {"text": prompt}, "locationHint": {"timeZone": time_zone}}
    if context:
        body["additionalContext"] = [dict(entry) for entry in context]
    resources: dict[str, Any] = {}
    if files:
        resources["files"] = [{"uri": check_file_url(url)} for url in files]
    if not search:
        resources["webContext"] = {"isWebEnabled": False}
    if resources:
        body["contextualResources"] = resources
    return body
