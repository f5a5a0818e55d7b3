"""A turn's hold on its conversation (issue 21 item 12): a short lease renewed while the turn
runs, renewals only by the holder, a crashed holder's conversation free after one short lease,
and a check-in that found the store away retried until it lands — on every store, and through
``g4f api`` with a real redis-server stopped mid-turn."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from g4f.api import ApiThread
from g4f.api.store import (
    LEASE_SECONDS,
    ConversationStore,
    Holding,
    Lease,
    LeasePolicy,
    MemoryStore,
    RedisStore,
    SqliteStore,
    StoreUnavailable,
)
from g4f.client import NO_RETRY, Conversation
from g4f.hub import Hub, Reply, TurnRequest, echo_responder

from .common import FakeClock, api_settings, local_store
from .redis_server import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_000_000.0)


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer, clock: FakeClock
) -> AsyncIterator[ConversationStore]:
    made: ConversationStore
    if request.param == "memory":
        made = MemoryStore(ttl=3600, cap=100, clock=clock)
    elif request.param == "sqlite":
        made = SqliteStore(tmp_path / "c.sqlite3", ttl=3600, cap=100, clock=clock)
    else:
        made = RedisStore(redis_server.url, ttl=3600, cap=100, clock=clock)
    await made.open()
    yield made
    await made.close()


class Steps:
    """An injectable sleep that waits until the test lets it go, then moves the fake clock by
    the time it was asked to sleep: each renewal or retry happens when the test says."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.delays: list[float] = []
        self._go: asyncio.Queue[None] = asyncio.Queue()
        self._asleep: asyncio.Queue[float] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self._asleep.put_nowait(seconds)
        await self._go.get()
        self.clock.advance(seconds)

    async def asleep(self) -> float:
        """Once the sleeper sleeps again (what it did after its last sleep is done)."""
        return await asyncio.wait_for(self._asleep.get(), 30)

    async def step(self) -> None:
        """Let the sleeper wake, and wait until it sleeps again."""
        self._go.put_nowait(None)
        await self.asleep()


def conversation(name: str, turn: int = 0) -> Conversation:
    return Conversation(name, f"client-{name}", turn=turn)


# -- renew --------------------------------------------------------------------------------------


async def test_only_the_holder_renews_a_lease(store: ConversationStore) -> None:
    first = await store.lease("a", 30)
    assert first is not None
    assert await store.renew(first, 30) is True
    await store.release(first)
    second = await store.lease("a", 30)
    assert second is not None
    assert await store.renew(first, 3600) is False  # an old holder's renewal does nothing
    await store.release(second)
    assert await store.lease("a", 30) is not None  # …and did not extend the new one
    nobody = Lease("b", "not-a-holder")
    assert await store.renew(nobody, 3600) is False
    assert await store.lease("b", 30) is not None  # a renewal creates no lease


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_renewed_lease_outlives_its_first_expiry_and_an_expired_one_is_not_renewed(
    kind: str, tmp_path: Path, clock: FakeClock
) -> None:
    made = local_store(kind, tmp_path, ttl=3600, cap=10, clock=clock)
    await made.open()
    try:
        lease = await made.lease("a", 30)
        assert lease is not None
        clock.advance(20)
        assert await made.renew(lease, 30)
        clock.advance(20)  # 40 s after it was taken: held by the renewal
        assert await made.lease("a", 30) is None
        clock.advance(11)  # 31 s after the renewal: expired
        assert await made.renew(lease, 30) is False
        assert await made.lease("a", 30) is not None
    finally:
        await made.close()


async def test_redis_renewal_extends_the_keys_expiry(redis_server: RedisServer) -> None:
    made = RedisStore(redis_server.url, ttl=3600, cap=10)
    await made.open()
    try:
        lease = await made.lease("a", 2)
        assert lease is not None
        assert 0 < await made._call("pttl", "g4f:l:a") <= 2_000
        assert await made.renew(lease, 30)
        assert 2_000 < await made._call("pttl", "g4f:l:a") <= 30_000
    finally:
        await made.close()


async def test_a_crashed_redis_holder_frees_its_conversation_after_its_short_lease(
    redis_server: RedisServer,
) -> None:
    # Redis's own PX expiry must pass here: a lease of 0.5 s, polled for up to 10 s.
    made = RedisStore(redis_server.url, ttl=3600, cap=10)
    await made.open()
    try:
        assert await made.lease("a", 0.5) is not None  # its holder then crashed: no renewal
        assert await made.lease("a", 0.5) is None
        deadline = time.monotonic() + 10
        while await made.lease("a", 30) is None:
            assert time.monotonic() < deadline, "the crashed holder's lease did not expire"
            await asyncio.sleep(0.05)
    finally:
        await made.close()


# -- Holding ------------------------------------------------------------------------------------


async def test_a_running_turn_keeps_its_conversation_and_a_crashed_one_lets_it_go(
    store: ConversationStore, clock: FakeClock
) -> None:
    steps = Steps(clock)
    lease = await store.start("bing", conversation("a"), LEASE_SECONDS)
    held = Holding(
        store,
        lease,
        "bing",
        conversation("a"),
        LEASE_SECONDS,
        policy=LeasePolicy(),
        sleep=steps.sleep,
    )
    await held.__aenter__()
    try:
        assert await steps.asleep() == 10.0
        for _ in range(6):  # a minute: twice the lease, renewed every 10 s
            await steps.step()
            if not isinstance(store, RedisStore):  # Redis expires on its own clock
                assert await store.lease("a", LEASE_SECONDS) is None
        assert await store.lease("a", LEASE_SECONDS) is None
        if isinstance(store, RedisStore):
            assert 20_000 < await store._call("pttl", "g4f:l:a") <= 30_000
        else:
            # The holder crashes (its renewals stop): one short lease later the conversation
            # is free — not the turn deadline and more of the old lease.
            clock.advance(LEASE_SECONDS + 1)
            assert await store.lease("a", LEASE_SECONDS) is not None
    finally:
        assert held._renewing is not None
        held._renewing.cancel()


async def test_leaving_checks_the_new_turn_in_and_gives_the_lease_back(
    store: ConversationStore,
) -> None:
    lease = await store.start("bing", conversation("a"), LEASE_SECONDS)
    turn = conversation("a")
    async with store.holding(lease, "bing", turn, LEASE_SECONDS):
        turn.turn = 1  # the turn ran
    stored = await store.get("a")
    assert stored is not None and stored.conversation.turn == 1
    assert await store.lease("a", LEASE_SECONDS) is not None
    assert len(store.pending_checkins) == 0


async def test_a_checkin_while_redis_is_down_lands_when_it_is_back(
    redis_server: RedisServer, clock: FakeClock
) -> None:
    made = RedisStore(redis_server.url, ttl=3600, cap=10, clock=clock)
    await made.open()
    steps = Steps(clock)
    try:
        lease = await made.start("bing", conversation("a", turn=1), LEASE_SECONDS)
        turn = conversation("a", turn=1)
        held = Holding(
            made, lease, "bing", turn, LEASE_SECONDS, policy=LeasePolicy(), sleep=steps.sleep
        )
        async with held:
            await steps.asleep()  # renewing
            turn.turn = 2
            redis_server.save()
            redis_server.stop()
        assert len(made.pending_checkins) == 1  # kept, not lost; the answer was not delayed
        assert await steps.asleep() == 0.25
        await steps.step()  # still down: the next wait doubles
        assert steps.delays[-1] == 0.5
        redis_server.start()  # back, with the old turn counter and the lease
        steps._go.put_nowait(None)
        await asyncio.wait_for(_until_no_pending(made), 30)
        stored = await made.get("a")
        assert stored is not None and stored.conversation.turn == 2  # the new counter
        assert await made.lease("a", LEASE_SECONDS) is not None  # and the lease given back
    finally:
        await made.close()


async def _until_no_pending(store: ConversationStore) -> None:
    while len(store.pending_checkins):  # noqa: ASYNC110 (a task's end sets no event we can see)
        await asyncio.sleep(0.01)


NO_RENEWALS = LeasePolicy(renew_every=10_000)


def retries_only(clock: FakeClock) -> Callable[[float], Awaitable[None]]:
    """A sleep for the retries (recorded on ``clock``, which it moves); the renewals of
    :data:`NO_RENEWALS` wait for ever (their turn is over before they are due)."""

    async def sleep(seconds: float) -> None:
        if seconds == NO_RENEWALS.renew_every:
            await asyncio.Event().wait()
        await clock.sleep(seconds)
        await asyncio.sleep(0)

    return sleep


class Unavailable(MemoryStore):
    """A store whose every check-in and read fails, as if it never came back."""

    async def checkin(self, service: str, conversation: Conversation, lease: Lease) -> None:
        raise StoreUnavailable("down")

    async def get(self, conversation_id: str) -> None:  # type: ignore[override]
        raise StoreUnavailable("down")


async def test_a_checkin_is_retried_with_backoff_for_a_bounded_time(clock: FakeClock) -> None:
    store = Unavailable(ttl=3600, cap=10, clock=clock)
    lease = await store.lease("a", LEASE_SECONDS)
    assert lease is not None
    policy = LeasePolicy(renew_every=10_000, retry_for=60, first_retry=0.25, max_wait=5)
    sleep = retries_only(clock)
    async with Holding(store, lease, "bing", conversation("a", 1), 30, policy=policy, sleep=sleep):
        pass
    await asyncio.wait_for(_until_no_pending(store), 30)  # it gave up
    assert clock.delays[:6] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0]
    assert sum(clock.delays) == pytest.approx(60)


async def test_a_retried_checkin_keeps_a_later_turn_saved_meanwhile(clock: FakeClock) -> None:
    store = MemoryStore(ttl=3600, cap=10, clock=clock)
    lease = await store.start("bing", conversation("a", turn=1), LEASE_SECONDS)
    mine = Holding(store, lease, "bing", conversation("a", 2), 30, policy=NO_RENEWALS)
    await store.put("bing", conversation("a", turn=3))  # another worker's later turn
    await mine._checkin_unless_newer()
    stored = await store.get("a")
    assert stored is not None and stored.conversation.turn == 3
    assert await store.lease("a", LEASE_SECONDS) is not None  # the old lease was given back


async def test_closing_the_store_cancels_the_retries(clock: FakeClock) -> None:
    store = Unavailable(ttl=3600, cap=10, clock=clock)
    steps = Steps(clock)
    lease = await store.lease("a", LEASE_SECONDS)
    assert lease is not None
    async with Holding(
        store, lease, "bing", conversation("a"), 30, policy=LeasePolicy(), sleep=steps.sleep
    ):
        pass
    await steps.asleep()
    assert len(store.pending_checkins) == 1
    await store.close()
    assert len(store.pending_checkins) == 0


# -- g4f api with a real Redis stopped mid-turn -------------------------------------------------


def responder(request: TurnRequest) -> Reply:
    if request.prompt == "hold":  # half an answer, then silence: the turn stays running
        return Reply(text=" ".join(f"w{i}" for i in range(40)), scenario="silence-mid")
    return echo_responder(request)


@pytest.fixture
def hub() -> Hub:
    return Hub(responder=responder)


def body(prompt: str, conversation_id: str | None = None) -> dict[str, object]:
    made: dict[str, object] = {"messages": [{"role": "user", "content": prompt}], "stream": True}
    if conversation_id is not None:
        made["conversation_id"] = conversation_id
    return made


def first_turn(api_url: str) -> str:
    answer = httpx.post(
        api_url + "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "before"}]},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["conversation_id"])


async def stored_turn(url: str, conversation_id: str) -> int:
    store = RedisStore(url, ttl=3600, cap=10)
    await store.open()
    try:
        stored = await store.get(conversation_id)
        assert stored is not None
        return stored.conversation.turn
    finally:
        await store.close()


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/g4f/chat"])
def test_redis_stopped_mid_turn_and_restarted_frees_the_conversation_with_its_new_counter(
    thread_hub: str, redis_server: RedisServer, path: str
) -> None:
    settings = api_settings(url=thread_hub, store=redis_server.url, retry=NO_RETRY)
    with ApiThread(settings) as api_url:
        conversation_id = first_turn(api_url)
        before = asyncio.run(stored_turn(redis_server.url, conversation_id))
        with httpx.stream(
            "POST", api_url + path, json=body("hold", conversation_id), timeout=60
        ) as streaming:
            assert streaming.status_code == 200
            lines = streaming.iter_lines()  # kept: a dropped iterator closes the response
            assert next(lines)  # the turn runs, its conversation leased
            # Redis goes away mid-turn, keeping what it had (the lease too); then the client
            # leaves, which ends the turn while the store cannot take its check-in.
            redis_server.save()
            redis_server.stop()
        # Time for the server to notice the disconnect while Redis is down, so the check-in
        # fails and is retried (had it not, the check-in would land at once: the test holds).
        time.sleep(0.5)
        redis_server.start()
        back = time.monotonic()
        deadline = back + LEASE_SECONDS  # one short lease, not the old 11 minutes
        while True:
            again = httpx.post(
                api_url + "/v1/chat/completions",
                json={
                    "messages": [{"role": "user", "content": "after"}],
                    "conversation_id": conversation_id,
                },
                timeout=60,
            )
            if again.status_code != 429:
                break
            assert time.monotonic() < deadline, (
                "still conversation_busy a lease after Redis is back"
            )
            time.sleep(0.1)
        assert again.status_code == 200, again.text
    # The cut turn's check-in landed before "after" ran: hold used one turn, after another.
    assert asyncio.run(stored_turn(redis_server.url, conversation_id)) == before + 2
