"""Conversation stores: the same behaviour from memory://, sqlite:/// and a real redis-server;
what SQLite writes, encryption at rest, and failures at start-up and while serving."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from g4f.api.store import (
    ConversationStore,
    MemoryStore,
    RedisStore,
    SignatureCipher,
    SqliteStore,
    StoreError,
    StoreUnavailable,
    make_store,
)
from g4f.client import Conversation
from g4f.protocol import Style

from .common import FakeClock, local_store
from .redis_server import RedisServer

SIGNATURE = "the-conversation-signature+/="


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def bytes_in(directory: Path) -> bytes:
    """Everything written in ``directory`` (the database and its WAL)."""
    return b"".join(p.read_bytes() for p in directory.iterdir())


def conversation(name: str, **kwargs: object) -> Conversation:
    return Conversation(name, f"client-{name}", signature=SIGNATURE, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    """The stores' clock: last uses and expiry move only when a test moves it (Redis's own
    expiry of keys is Redis's, on its clock)."""
    return FakeClock(1_000_000.0)


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer, clock: FakeClock
) -> AsyncIterator[ConversationStore]:
    kind = request.param
    made: ConversationStore
    if kind == "memory":
        made = MemoryStore(ttl=3600, cap=3, clock=clock)
    elif kind == "sqlite":
        made = SqliteStore(tmp_path / "c.sqlite3", ttl=3600, cap=3, clock=clock)
    else:
        made = RedisStore(redis_server.url, ttl=3600, cap=3, clock=clock)
    await made.open()
    if isinstance(made, RedisStore):
        await made._call("flushdb")  # each test starts empty
    yield made
    await made.close()


async def test_a_conversation_comes_back_as_it_was_put(store: ConversationStore) -> None:
    original = conversation("a", style=Style.CREATIVE, turn=3, answered=2, tone="Gpt_Quick")
    original.expiry_time = "2026-12-28T00:00:00Z"
    await store.put("m365", original)
    stored = await store.get("a")
    assert stored is not None and stored.service == "m365"
    assert stored.conversation == original and stored.conversation is not original
    assert stored.conversation.signature == SIGNATURE
    assert await store.get("unknown") is None


async def test_past_the_cap_the_least_recently_used_go(
    store: ConversationStore, clock: FakeClock
) -> None:
    for name in "abc":
        await store.put("bing", conversation(name))
        clock.advance(1)  # distinct last-use times
    assert await store.get("a") is not None  # a is now the most recently used
    clock.advance(1)
    await store.put("bing", conversation("d"))
    assert await store.count() == 3
    assert await store.get("b") is None  # the least recently used went
    assert {n for n in "acd" if await store.get(n) is not None} == {"a", "c", "d"}


async def test_a_lease_is_exclusive_until_released(store: ConversationStore) -> None:
    first = await store.lease("a", 60)
    assert first is not None
    assert await store.lease("a", 60) is None  # a second request: busy
    assert await store.lease("b", 60) is not None  # other conversations are free
    await store.release(first)
    again = await store.lease("a", 60)
    assert again is not None and again.token != first.token
    await store.release(first)  # an old holder's release does not free the new lease
    assert await store.lease("a", 60) is None


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_expiry_and_a_crashed_holders_lease_on_a_fake_clock(
    kind: str, tmp_path: Path
) -> None:
    clock = FakeClock(1_000_000.0)
    made = local_store(kind, tmp_path, ttl=10, cap=100, clock=clock)
    await made.open()
    try:
        await made.put("bing", conversation("a"))
        await made.put("bing", conversation("b"))
        clock.advance(6)
        assert await made.get("a") is not None  # a use extends its life
        clock.advance(6)
        assert await made.get("b") is None and await made.get("a") is not None
        assert await made.lease("a", 30) is not None
        clock.advance(31)  # the holder crashed: its lease expires
        assert await made.lease("a", 30) is not None
        clock.advance(11)
        assert await made.count() == 0  # a expired too
        assert await made.get("a") is None
    finally:
        await made.close()


async def test_redis_expires_conversations_and_leases_itself(redis_server: RedisServer) -> None:
    made = RedisStore(redis_server.url, ttl=300, cap=100)
    await made.open()
    try:
        await made.put("bing", conversation("short"))
        lease = await made.lease("short", 30)
        assert lease is not None
        # Redis itself forgets both: the conversation `ttl` after its last use, the lease
        # when its holder would have finished (a crashed worker's lease goes by itself).
        assert 0 < await made._call("pttl", "g4f:c:short") <= 300_000
        assert 0 < await made._call("pttl", "g4f:l:short") <= 30_000
        await made._call("delete", "g4f:c:short", "g4f:l:short")  # as Redis does at expiry
        assert await made.get("short") is None
        assert await made.lease("short", 30) is not None
    finally:
        await made.close()


# -- SQLite: the file -------------------------------------------------------------------------


async def test_the_sqlite_file_is_private_and_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "data" / "g4f" / "c.sqlite3"
    first = SqliteStore(path, ttl=3600, cap=10)
    await first.open()
    await first.put("bing", conversation("kept"))
    siblings = sorted(p.name for p in path.parent.glob("c.sqlite3-*"))
    assert siblings == ["c.sqlite3-shm", "c.sqlite3-wal"]  # WAL mode, while it is open
    for name in ("c.sqlite3", *siblings):
        assert stat.S_IMODE(os.stat(path.parent / name).st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    await first.close()
    second = SqliteStore(path, ttl=3600, cap=10)
    await second.open()
    stored = await second.get("kept")
    await second.close()
    assert stored is not None and stored.conversation.client_id == "client-kept"


async def test_a_corrupt_sqlite_file_is_a_clear_start_up_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database, it only looks like a file " * 100)
    with pytest.raises(StoreError) as caught:
        await SqliteStore(path, ttl=60, cap=10).open()
    assert str(path) in str(caught.value) and "move it aside" in str(caught.value)
    assert path.read_bytes().startswith(b"this is not a database")  # nothing overwritten


async def test_signatures_are_encrypted_at_rest_with_a_key(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    sealed = SqliteStore(path, ttl=3600, cap=10, cipher=SignatureCipher("operator key"))
    await sealed.open()
    await sealed.put("bing", conversation("secret"))
    stored = await sealed.get("secret")
    await sealed.close()
    assert stored is not None and stored.conversation.signature == SIGNATURE
    on_disk = bytes_in(tmp_path)
    assert SIGNATURE.encode() not in on_disk and b"enc:v1:" in on_disk

    wrong = SqliteStore(path, ttl=3600, cap=10, cipher=SignatureCipher("another key"))
    await wrong.open()
    with pytest.raises(StoreError, match="not the key it was stored with"):
        await wrong.get("secret")
    await wrong.close()
    keyless = SqliteStore(path, ttl=3600, cap=10)
    await keyless.open()
    with pytest.raises(StoreError, match="no --store-key is set"):
        await keyless.get("secret")
    await keyless.close()


async def test_without_a_key_signatures_are_in_clear(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "c.sqlite3", ttl=3600, cap=10)
    await store.open()
    await store.put("bing", conversation("plain"))
    await store.close()
    assert SIGNATURE.encode() in bytes_in(tmp_path)


# -- Redis: failures --------------------------------------------------------------------------


async def test_an_unreachable_redis_is_a_start_up_error_naming_it(refused_address: str) -> None:
    store = RedisStore(f"redis://:hunter2@{refused_address}/0", ttl=60, cap=10)
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert "cannot be reached" in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert "hunter2" not in str(caught.value)


async def test_redis_lost_while_serving_then_back(tmp_path: Path) -> None:
    server = RedisServer(tmp_path).start()
    store = RedisStore(server.url, ttl=3600, cap=10)
    await store.open()
    try:
        await store.put("bing", conversation("a"))
        server.stop()
        with pytest.raises(StoreUnavailable):
            await store.get("a")
        with pytest.raises(StoreUnavailable):
            await store.put("bing", conversation("b"))
        server.start()  # the same socket, empty (no persistence)
        await store.put("bing", conversation("c"))  # reconnected by itself
        assert await store.get("c") is not None
    finally:
        await store.close()
        server.stop()


def test_store_urls() -> None:
    assert isinstance(make_store("memory://", ttl=1, cap=1), MemoryStore)
    assert isinstance(make_store("sqlite:///~/c.db", ttl=1, cap=1), SqliteStore)
    assert isinstance(make_store("redis://127.0.0.1:6379/0", ttl=1, cap=1), RedisStore)
    assert isinstance(make_store("unix:///run/redis.sock?db=0", ttl=1, cap=1), RedisStore)
    with pytest.raises(ValueError, match="sqlite:///PATH, redis://HOST:PORT/DB or memory://"):
        make_store("postgres://db", ttl=1, cap=1)


async def test_checkout_start_and_checkin_do_the_work_of_their_parts(
    store: ConversationStore,
) -> None:
    lease = await store.start("bing", conversation("a"), 60)
    assert await store.lease("a", 60) is None  # started conversations are leased
    updated = conversation("a", turn=1)
    await store.checkin("bing", updated, lease)
    stored, held = await store.checkout("a", 60)
    assert stored is not None and stored.conversation.turn == 1 and held is not None
    again, busy = await store.checkout("a", 60)
    assert again is not None and busy is None  # a second request: busy
    assert await store.checkout("unknown", 60) == (None, None)
    assert await store.lease("unknown", 60) is not None  # checkout left no lease behind


async def test_a_response_record_comes_back_until_deleted(store: ConversationStore) -> None:
    from g4f.api.store import ResponseRecord

    record = ResponseRecord("resp_1", "conv-a", 2, '{"id": "resp_1"}')
    await store.put_record(record)
    assert await store.get_record("resp_1") == record
    assert await store.get_record("resp_unknown") is None
    assert await store.delete_record("resp_1") is True
    assert await store.get_record("resp_1") is None
    assert await store.delete_record("resp_1") is False


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_response_record_expires_after_the_ttl(
    kind: str, tmp_path: Path, clock: FakeClock
) -> None:
    from g4f.api.store import ResponseRecord

    made = local_store(kind, tmp_path, ttl=60, cap=3, clock=clock)
    await made.open()
    try:
        await made.put_record(ResponseRecord("resp_1", "conv-a", 1))
        clock.advance(59)
        assert await made.get_record("resp_1") is not None
        clock.advance(2)
        assert await made.get_record("resp_1") is None
    finally:
        await made.close()
