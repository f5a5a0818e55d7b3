"""Retrying transient failures of conversation create, with backoff and jitter."""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..errors import G4FError

__all__ = ["NO_RETRY", "RetryPolicy", "is_transient"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def is_transient(error: G4FError) -> bool:
    """Whether trying again may help, as the error's class says (:mod:`g4f.errors`): rate
    limits, 5xx, lost connections, timeouts. Authorization, challenge and protocol failures
    are final: retrying cannot fix them."""
    return error.transient


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry conversation create.

    The n-th retry waits ``min(max_delay, base_delay * 2**n)`` scaled by a random factor in
    [0.5, 1) (jitter), or the server's ``Retry-After`` when it sent one; never past ``deadline``
    seconds after the first attempt. ``sleep``, ``random`` and ``clock`` can be replaced in tests.
    ``on_retry(error, wait, attempt, attempts)`` is called before each wait (e.g. to show it).
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    deadline: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    on_retry: Callable[[G4FError, float, int, int], None] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < 0 or self.deadline < 0:
            raise ValueError("retry attempts must be >= 1 and delays >= 0")

    def delay(self, retry: int, error: G4FError) -> float:
        """Seconds to wait before retry number ``retry`` (0-based) after ``error``."""
        if error.retry_after is not None:
            return error.retry_after
        backoff = min(self.max_delay, self.base_delay * 2.0**retry)
        return backoff * (0.5 + self.random() / 2)

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        when: Callable[[G4FError], bool] = is_transient,
    ) -> T:
        """Call ``attempt`` until it succeeds, fails for good, or the budget is spent; ``when``
        says which errors may be retried (default: the transient ones)."""
        start = self.clock()
        for retry in range(self.attempts):
            try:
                return await attempt()
            except G4FError as error:
                if not when(error) or retry == self.attempts - 1:
                    raise
                wait = self.delay(retry, error)
                if self.clock() - start + wait > self.deadline:
                    raise
                log.info("%s; retrying in %.2fs", type(error).__name__, wait)
                if self.on_retry is not None:
                    self.on_retry(error, wait, retry + 2, self.attempts)
                await self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


NO_RETRY = RetryPolicy(attempts=1)
"""A policy that tries once."""
