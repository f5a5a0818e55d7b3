"""``redis://HOST:PORT/DB``: conversations in Redis, shared by several workers or machines.

A conversation is a key that Redis itself expires ``ttl`` after its last use; a sorted set of
last uses keeps the cap (the least recently used go first, by rank, never by a scan). A lease
is ``SET … NX PX``, released only by its holder, so a crashed worker's lease simply expires.
When Redis goes away, requests that need it fail with :class:`StoreUnavailable` (503) and the
client reconnects by itself on the next one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from ...protocol.conversation import Conversation
from ...urls import redact_url
from .base import (
    ConversationStore,
    Lease,
    ResponseRecord,
    SignatureCipher,
    Stored,
    StoreError,
    StoreUnavailable,
    decode,
    encode,
)

__all__ = ["RedisStore"]

PREFIX = "g4f:"
_LRU = PREFIX + "lru"
"""A sorted set: conversation ids by last use."""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_TIMEOUT = 2.0
"""Seconds any one Redis command may take (and may wait for a free connection)."""
MAX_CONNECTIONS = 32
"""Connections to Redis per process."""


class RedisStore(ConversationStore):
    """Conversations in the Redis server at ``url``."""

    def __init__(
        self,
        url: str,
        ttl: float,
        cap: int,
        *,
        clock: Callable[[], float] = time.time,
        cipher: SignatureCipher | None = None,
    ) -> None:
        self.url, self.ttl, self.cap, self.clock = url, ttl, cap, clock
        self.cipher = cipher or SignatureCipher(None)
        self._redis: Any = None
        self._pool: Any = None

    def describe(self) -> str:
        return redact_url(self.url)

    async def open(self) -> None:
        try:
            import redis.asyncio
        except ImportError:
            raise StoreError(
                "a redis:// store needs the 'redis' package (pip install 'g4f-bing[redis]')"
            ) from None
        # A bounded pool that makes a request wait (at most _TIMEOUT) for a free connection,
        # rather than opening one per concurrent request or failing past a maximum.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            self.url,
            max_connections=MAX_CONNECTIONS,
            timeout=_TIMEOUT,
            socket_timeout=_TIMEOUT,
            socket_connect_timeout=_TIMEOUT,
            decode_responses=True,
        )
        self._pool = pool
        self._redis = redis.asyncio.Redis(connection_pool=pool)
        try:
            await self._redis.ping()
        except Exception as exc:  # redis-py's connection and auth errors
            await self.close()
            raise StoreError(
                f"the conversation store {self.describe()} cannot be reached "
                f"({type(exc).__name__}: {exc}); start it, or choose another with --store"
            ) from None

    async def close(self) -> None:
        await self._cancel_checkins()
        client, pool, self._redis, self._pool = self._redis, self._pool, None, None
        if client is not None:
            await client.aclose()
        if pool is not None:
            await pool.disconnect()

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._redis is None:
            raise StoreUnavailable("the conversation store is not open")
        try:
            return await getattr(self._redis, name)(*args, **kwargs)
        except Exception as exc:
            raise _failure(exc) from None

    async def get(self, conversation_id: str) -> Stored | None:
        pipe = self._pipeline()
        self._queue_get(pipe, conversation_id)
        text, *_ = await self._execute(pipe)
        return await self._found(conversation_id, text)

    def _queue_get(self, pipe: Any, conversation_id: str) -> None:
        """Queue the commands that read a conversation and make now its last use; the first
        one's answer is its text (``None``: unknown)."""
        pipe.get(_conversation(conversation_id))
        pipe.pexpire(_conversation(conversation_id), _ms(self.ttl))
        pipe.zadd(_LRU, {conversation_id: self.clock()})

    async def _found(self, conversation_id: str, text: str | None) -> Stored | None:
        if text is None:
            await self._call("zrem", _LRU, conversation_id)  # gone: not to be counted
            return None
        return decode(text, self.cipher)

    def _pipeline(self) -> Any:
        if self._redis is None:
            raise StoreUnavailable("the conversation store is not open")
        return self._redis.pipeline(transaction=True)

    async def _execute(self, pipe: Any) -> list[Any]:
        try:
            return list(await pipe.execute())
        except Exception as exc:
            raise _failure(exc) from None

    async def put(self, service: str, conversation: Conversation) -> None:
        pipe = self._pipeline()
        self._queue_put(pipe, service, conversation)
        await self._trim((await self._execute(pipe))[-1])

    def _queue_put(self, pipe: Any, service: str, conversation: Conversation) -> None:
        """Queue the commands that keep ``conversation``; the last one's answer is the count."""
        now, key = self.clock(), conversation.conversation_id
        pipe.set(_conversation(key), encode(service, conversation, self.cipher), px=_ms(self.ttl))
        pipe.zadd(_LRU, {key: now})
        pipe.zremrangebyscore(_LRU, "-inf", now - self.ttl)  # Redis expired those keys itself
        pipe.zcard(_LRU)

    async def forget(self, conversation_id: str) -> None:
        pipe = self._pipeline()
        pipe.delete(_conversation(conversation_id))
        pipe.zrem(_LRU, conversation_id)
        await self._execute(pipe)

    async def _trim(self, size: Any) -> None:
        """Past the cap, forget the least recently used."""
        excess = int(size) - self.cap
        if excess > 0:
            oldest = await self._call("zpopmin", _LRU, excess)
            if oldest:
                await self._call("delete", *(_conversation(member) for member, _ in oldest))

    async def checkout(
        self, conversation_id: str, seconds: float
    ) -> tuple[Stored | None, Lease | None]:
        """Get, touch and lease in one round trip."""
        token = os.urandom(8).hex()
        pipe = self._pipeline()
        self._queue_get(pipe, conversation_id)
        pipe.set(_lease(conversation_id), token, nx=True, px=_ms(seconds))
        text, _, _, taken = await self._execute(pipe)
        lease = Lease(conversation_id, token) if taken else None
        stored = await self._found(conversation_id, text)
        if stored is None and lease is not None:
            await self.release(lease)  # nothing to lease: the conversation is gone
        return (stored, lease) if stored is not None else (None, None)

    async def start(self, service: str, conversation: Conversation, seconds: float) -> Lease:
        """Put and lease in one round trip."""
        key, token = conversation.conversation_id, os.urandom(8).hex()
        pipe = self._pipeline()
        pipe.set(_lease(key), token, nx=True, px=_ms(seconds))
        self._queue_put(pipe, service, conversation)
        taken, *_, size = await self._execute(pipe)
        await self._trim(size)
        if not taken:
            raise StoreUnavailable(f"a new conversation's id is leased already: {key}")
        return Lease(key, token)

    async def checkin(self, service: str, conversation: Conversation, lease: Lease) -> None:
        """Put and release in one round trip."""
        pipe = self._pipeline()
        pipe.eval(_RELEASE, 1, _lease(lease.conversation_id), lease.token)
        self._queue_put(pipe, service, conversation)
        await self._trim((await self._execute(pipe))[-1])

    async def lease(self, conversation_id: str, seconds: float) -> Lease | None:
        token = os.urandom(8).hex()
        taken = await self._call("set", _lease(conversation_id), token, nx=True, px=_ms(seconds))
        return Lease(conversation_id, token) if taken else None

    async def release(self, lease: Lease) -> None:
        await self._call("eval", _RELEASE, 1, _lease(lease.conversation_id), lease.token)

    async def renew(self, lease: Lease, seconds: float) -> bool:
        """Extend the lease's expiry only if its value is still this holder's (one script:
        atomic)."""
        key = _lease(lease.conversation_id)
        return bool(await self._call("eval", _RENEW, 1, key, lease.token, _ms(seconds)))

    async def count(self) -> int:
        await self._call("zremrangebyscore", _LRU, "-inf", self.clock() - self.ttl)
        return int(await self._call("zcard", _LRU))

    async def put_record(self, record: ResponseRecord) -> None:
        """A key of its own that Redis expires by itself (no cap: each lives ``ttl``)."""
        await self._call("set", _record(record.record_id), record.to_text(), px=_ms(self.ttl))

    async def get_record(self, record_id: str) -> ResponseRecord | None:
        text = await self._call("get", _record(record_id))
        return ResponseRecord.from_text(record_id, text) if text is not None else None

    async def delete_record(self, record_id: str) -> bool:
        return bool(await self._call("delete", _record(record_id)))


def _failure(exc: Exception) -> Exception:
    """:class:`StoreUnavailable` for a failure of Redis or of the way to it; ``exc`` itself for
    anything else (a bug)."""
    from redis.exceptions import RedisError

    if isinstance(exc, RedisError | ConnectionError | TimeoutError | OSError):
        return StoreUnavailable(f"the conversation store failed: {type(exc).__name__}: {exc}")
    return exc


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _conversation(conversation_id: str) -> str:
    return f"{PREFIX}c:{conversation_id}"


def _lease(conversation_id: str) -> str:
    return f"{PREFIX}l:{conversation_id}"


def _record(record_id: str) -> str:
    return f"{PREFIX}r:{record_id}"
