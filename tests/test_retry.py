"""Retrying conversation create: transient failures only, with backoff, jitter and a budget."""

from __future__ import annotations

import pytest

from g4f.client import BingClient, RetryPolicy
from g4f.errors import NotAuthorized, RateLimited, ServerError
from g4f.hub import Hub

from .common import FakeClock
from .conftest import FakeSleep


async def test_a_transient_outage_is_retried_until_create_succeeds(
    hub: Hub, client: BingClient, fake_sleep: FakeSleep
) -> None:
    hub.fail_next_creates("create-429", "create-500")
    conversation = await client.create_conversation()
    assert conversation.conversation_id in hub.conversations
    assert hub.create_requests == 3
    # Retry-After: 7 is honoured; then 0.5 s * 2**1 with the jitter factor 0.75.
    assert fake_sleep.delays == [7.0, 0.75]


async def test_retries_stop_at_the_time_budget(hub: Hub, hub_url: str) -> None:
    clock = FakeClock()
    retry = RetryPolicy(attempts=10, deadline=10.0, sleep=clock.sleep, clock=clock)
    hub.scenario = "create-429"
    async with BingClient(url=hub_url, retry=retry) as client:
        with pytest.raises(RateLimited) as caught:
            await client.create_conversation()
    assert clock.delays == [7.0]  # a second wait of 7 s would end past the 10 s budget
    assert hub.create_requests == 2
    assert caught.value.retry_after == 7.0


async def test_authorization_failures_are_not_retried(hub: Hub, client: BingClient) -> None:
    hub.fail_next_creates("create-unauthorized")
    with pytest.raises(NotAuthorized):
        await client.create_conversation()
    assert hub.create_requests == 1


def test_backoff_doubles_is_capped_and_jittered() -> None:
    error = ServerError("HTTP 500")
    low = RetryPolicy(base_delay=1.0, max_delay=5.0, random=lambda: 0.0)
    high = RetryPolicy(base_delay=1.0, max_delay=5.0, random=lambda: 0.999999)
    assert [low.delay(n, error) for n in range(5)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert [round(high.delay(n, error), 3) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
