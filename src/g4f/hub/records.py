"""Records both sides send in the same shape — the ChatHub family's (CHATHUB.md §4,
M365-CHATHUB.md §5: "as on Bing"). Pure builders; each side builds the rest itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..protocol.constants import RecordType
from ..protocol.framing import Record

__all__ = ["completion_record", "failure_final", "throttling"]


def throttling(used: int, limit: int) -> dict[str, int]:
    """The ``throttling`` object: ``used`` user messages of at most ``limit``."""
    return {"maxNumUserMessagesInConversation": limit, "numUserMessagesInConversation": used}


def failure_final(
    invocation_id: str,
    value: str,
    message: str,
    *,
    with_error: bool = True,
    messages: Sequence[dict[str, Any]] | None = None,
) -> Record:
    """A failed type-2 record; ``error`` and ``messages`` are optional, as in the wild."""
    result: dict[str, Any] = {"value": value, "message": message}
    if with_error:
        result["error"] = message
    item: dict[str, Any] = {"result": result}
    if messages is not None:
        item["messages"] = list(messages)
    return {"type": int(RecordType.STREAM_ITEM), "invocationId": invocation_id, "item": item}


def completion_record(invocation_id: str, error: str | None = None) -> Record:
    """The type-3 record that ends an invocation (with ``error`` when it failed)."""
    record: Record = {"type": int(RecordType.COMPLETION), "invocationId": invocation_id}
    if error is not None:
        record["error"] = error
    return record
