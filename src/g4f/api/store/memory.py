"""``memory://``: conversations in this process's memory (tests and throwaway use)."""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ...protocol.conversation import Conversation
from .base import (
    ConversationStore,
    Lease,
    ResponseRecord,
    SignatureCipher,
    Stored,
    decode,
    encode,
)

__all__ = ["MemoryStore"]


class MemoryStore(ConversationStore):
    """Conversations in a dict, least recently used first; gone when the process ends.

    Each is kept as its stored text, as the other stores keep it, so a caller's object is never
    shared with a later request.
    """

    def __init__(
        self,
        ttl: float,
        cap: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        cipher: SignatureCipher | None = None,
    ) -> None:
        self.ttl, self.cap, self.clock = ttl, cap, clock
        self.cipher = cipher or SignatureCipher(None)
        self._items: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._leases: dict[str, tuple[str, float]] = {}
        self._records: OrderedDict[str, tuple[ResponseRecord, float]] = OrderedDict()

    def describe(self) -> str:
        return "memory:// (lost when the server stops)"

    @property
    def shared(self) -> bool:
        return False

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release."""
        await self._cancel_checkins()
        self._items.clear()
        self._records.clear()

    async def get(self, conversation_id: str) -> Stored | None:
        self._expire()
        item = self._items.get(conversation_id)
        if item is None:
            return None
        self._items[conversation_id] = (item[0], self.clock() + self.ttl)
        self._items.move_to_end(conversation_id)
        return decode(item[0], self.cipher)

    async def put(self, service: str, conversation: Conversation) -> None:
        self._expire()
        key = conversation.conversation_id
        self._items[key] = (encode(service, conversation, self.cipher), self.clock() + self.ttl)
        self._items.move_to_end(key)
        while len(self._items) > self.cap:
            self._items.popitem(last=False)

    async def forget(self, conversation_id: str) -> None:
        self._items.pop(conversation_id, None)

    def _expire(self) -> None:
        """Drop the expired conversations."""
        _drop_expired(self._items, self.clock())

    async def lease(self, conversation_id: str, seconds: float) -> Lease | None:
        now = self.clock()
        held = self._leases.get(conversation_id)
        if held is not None and held[1] > now:
            return None
        lease = Lease(conversation_id, os.urandom(8).hex())
        self._leases[conversation_id] = (lease.token, now + seconds)
        return lease

    async def release(self, lease: Lease) -> None:
        held = self._leases.get(lease.conversation_id)
        if held is not None and held[0] == lease.token:
            del self._leases[lease.conversation_id]

    async def renew(self, lease: Lease, seconds: float) -> bool:
        now = self.clock()
        held = self._leases.get(lease.conversation_id)
        if held is None or held[0] != lease.token or held[1] <= now:
            return False
        self._leases[lease.conversation_id] = (lease.token, now + seconds)
        return True

    async def count(self) -> int:
        self._expire()
        return len(self._items)

    async def put_record(self, record: ResponseRecord) -> None:
        _drop_expired(self._records, self.clock())
        self._records.pop(record.record_id, None)
        self._records[record.record_id] = (record, self.clock() + self.ttl)
        while len(self._records) > self.cap:
            self._records.popitem(last=False)

    async def get_record(self, record_id: str) -> ResponseRecord | None:
        found = self._records.get(record_id)
        if found is None or found[1] <= self.clock():
            return None
        return found[0]

    async def delete_record(self, record_id: str) -> bool:
        found = self._records.pop(record_id, None)
        return found is not None and found[1] > self.clock()


def _drop_expired(entries: OrderedDict[str, tuple[Any, float]], now: float) -> None:
    """Drop the entries expired at ``now``: the least recently used are first, so this looks at
    no more than it drops, plus one."""
    while entries:
        key, (_, expires) = next(iter(entries.items()))
        if expires > now:
            return
        del entries[key]
