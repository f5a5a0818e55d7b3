"""Building the client's records: a pure function from plain inputs to one invocation (type 4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...protocol.constants import CHAT_TARGET, RecordType, Style
from ...protocol.framing import Record
from .constants import (
    ALLOWED_MESSAGE_TYPES,
    COMMON_OPTION_SETS,
    CONTEXT_MESSAGE_ID,
    NO_SEARCH_OPTION_SET,
    SOURCE,
    MessageType,
    style_option_sets,
    style_tone,
)

__all__ = ["Locale", "build_invocation", "option_sets_for"]


@dataclass(frozen=True, slots=True)
class Locale:
    """Language and market hints sent with every message (never a client IP)."""

    locale: str = "en-US"
    market: str = "en-US"
    region: str = "US"


def option_sets_for(style: Style, *, search: bool = True, autosave: bool = False) -> list[str]:
    """The ``optionsSets`` list of an invocation for ``style``.

    >>> option_sets_for(Style.BALANCED, search=False)[-2:]
    ['galileo', 'nosearchall']
    """
    sets = [*COMMON_OPTION_SETS, *style_option_sets(style)]
    if not search:
        sets.append(NO_SEARCH_OPTION_SET)
    if autosave:
        sets.append("autosave")
    return sets


def build_invocation(
    prompt: str,
    *,
    conversation_id: str,
    client_id: str,
    invocation_id: int,
    trace_id: str,
    timestamp: str,
    signature: str | None = None,
    style: Style = Style.PRECISE,
    context: str | None = None,
    search: bool = True,
    locale: Locale = Locale(),
    location_hints: Sequence[Mapping[str, Any]] = (),
    slice_ids: Sequence[str] = (),
) -> Record:
    """Build the type-4 record for one user turn (CHATHUB.md §3).

    ``invocation_id`` counts the conversation's turns from 0; the first turn starts the session.
    ``signature`` is the 2023-shape conversation signature (leave it out when the encrypted
    signature travels as ``sec_access_token``). ``context`` becomes one ``previousMessages`` block.

    >>> record = build_invocation("Hi", conversation_id="c", client_id="u", invocation_id=0,
    ...                           trace_id="0" * 32, timestamp="2023-01-01T00:00:00+00:00")
    >>> record["arguments"][0]["message"]["text"], record["invocationId"]
    ('Hi', '0')
    """
    message = _user_message(prompt, timestamp, locale, location_hints)
    argument: dict[str, Any] = {
        "source": SOURCE,
        "optionsSets": option_sets_for(style, search=search),
        "allowedMessageTypes": list(ALLOWED_MESSAGE_TYPES),
        "sliceIds": list(slice_ids),
        "tone": style_tone(style),
        "traceId": trace_id,
        "isStartOfSession": invocation_id == 0,
        "message": message,
        "participant": {"id": client_id},
        "conversationId": conversation_id,
    }
    if signature is not None:
        argument["conversationSignature"] = signature
    if context:
        argument["previousMessages"] = [_context_message(context)]
    return {
        "type": int(RecordType.STREAM_INVOCATION),
        "target": CHAT_TARGET,
        "invocationId": str(invocation_id),
        "arguments": [argument],
    }


def _user_message(
    prompt: str, timestamp: str, locale: Locale, location_hints: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The invocation's ``message``: the user's text with its locale."""
    message: dict[str, Any] = {
        "locale": locale.locale,
        "market": locale.market,
        "region": locale.region,
        "author": "user",
        "inputMethod": "Keyboard",
        "text": prompt,
        "messageType": MessageType.CHAT.value,
        "timestamp": timestamp,
    }
    if location_hints:
        message["locationHints"] = [dict(hint) for hint in location_hints]
    return message


def _context_message(context: str) -> dict[str, Any]:
    """The one ``previousMessages`` block that carries earlier history."""
    return {
        "author": "user",
        "description": context,
        "contextType": "WebPage",
        "messageType": MessageType.CONTEXT.value,
        "messageId": CONTEXT_MESSAGE_ID,
    }
