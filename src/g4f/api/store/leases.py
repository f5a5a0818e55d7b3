"""A turn's hold on its conversation: a short lease renewed while the turn runs, and a check-in
that is retried in the background when the store is unavailable at the end of the turn.

Why short and renewed: a lease long enough for the longest turn (over ten minutes) outlives an
outage of the store — a conversation whose turn ended while Redis was away stayed busy for
that long once Redis was back, with its old turn counter. A lease of :data:`LEASE_SECONDS`,
renewed every :data:`RENEW_SECONDS` by the turn that holds it, lets a crashed holder's
conversation go within one short lease, and a running turn keep it however long it runs.

Why retried: a turn whose check-in fails has been answered; its new turn counter is what the
service expects next. The check-in is kept and tried again, with backoff, for up to
:attr:`LeasePolicy.retry_for` seconds — in a task of its own, never delaying the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from ...errors import ConversationExpired, StoreUnavailable
from ...protocol.conversation import Conversation

if TYPE_CHECKING:
    from .base import ConversationStore, Lease

__all__ = ["LEASE_SECONDS", "RENEW_SECONDS", "Holding", "LeasePolicy", "PendingCheckins"]

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
"""How long a lease lasts unless its holder renews it (a crashed holder's conversation is free
again this long after its last renewal)."""
RENEW_SECONDS = 10.0
"""How often a running turn renews its lease (three chances per lease)."""

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LeasePolicy:
    """How a turn holds its conversation.

    Attributes:
        renew_every: seconds between renewals while the turn runs.
        retry_for: how long a failed check-in is retried (seconds of waiting, in all).
        first_retry: the first wait before a retry; each next one doubles, up to ``max_wait``.
        max_wait: the longest wait between two retries.
    """

    renew_every: float = RENEW_SECONDS
    retry_for: float = 300.0
    first_retry: float = 0.25
    max_wait: float = 5.0


class PendingCheckins:
    """The check-ins a store retries in the background (held here so that none is collected
    while it waits, and all are cancelled when the store closes)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, work: Awaitable[None]) -> None:
        """Run ``work`` in a task of its own, kept until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel(self) -> None:
        """Cancel those still waiting (the store is closing): their turns are not saved."""
        tasks, self._tasks = set(self._tasks), set()
        if tasks:
            log.warning(
                "%d conversation(s) not saved after their turn: the store closed while their "
                "check-in waited for it",
                len(tasks),
            )
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Holding:
    """An async context manager around one turn: it renews ``lease`` while the turn runs, and
    on leaving checks the conversation in (its new turn counter) and gives the lease back —
    however the turn ends, even when the caller is cancelled (a client that disconnects). A
    check-in that finds the store unavailable is retried in the background. A turn that ends
    in :class:`~g4f.errors.ConversationExpired` (the service no longer knows the conversation)
    forgets it instead.

    Get one from :meth:`ConversationStore.holding`.
    """

    def __init__(
        self,
        store: ConversationStore,
        lease: Lease,
        service: str,
        conversation: Conversation,
        seconds: float,
        *,
        policy: LeasePolicy,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.store, self.lease, self.service = store, lease, service
        self.conversation, self.seconds = conversation, seconds
        self.policy, self._sleep = policy, sleep
        self._renewing: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Holding:
        self._renewing = asyncio.ensure_future(self._renew())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.shield(asyncio.ensure_future(self._finish(exc)))

    async def _finish(self, failure: BaseException | None) -> None:
        renewing, self._renewing = self._renewing, None
        if renewing is not None:
            renewing.cancel()
            try:
                await renewing
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # a bug in a renewal must not cost the check-in
                log.error("renewing a lease failed", exc_info=exc)
        if isinstance(failure, ConversationExpired):  # the service no longer knows it
            with contextlib.suppress(StoreUnavailable):  # else it expires from the store
                await self.store.forget(self.lease.conversation_id)
                await self.store.release(self.lease)
            return
        try:
            await self.store.checkin(self.service, self.conversation, self.lease)
        except StoreUnavailable as exc:
            log.warning(
                "could not save conversation %s after its turn (%s); retrying when the store "
                "is back",
                self.lease.conversation_id,
                exc,
            )
            self.store.pending_checkins.add(self._retry())

    async def _renew(self) -> None:
        """Renew the lease every ``renew_every`` seconds until cancelled; a store that is
        unavailable is tried again at the next renewal; a lease found lost stops it."""
        while True:
            await self._sleep(self.policy.renew_every)
            try:
                kept = await self.store.renew(self.lease, self.seconds)
            except StoreUnavailable as exc:
                log.debug("could not renew a lease (trying again): %s", exc)
                continue
            if not kept:
                log.warning(
                    "the lease on conversation %s expired while its turn ran (the store was "
                    "unavailable for longer than %g s?); its turn goes on",
                    self.lease.conversation_id,
                    self.seconds,
                )
                return

    async def _retry(self) -> None:
        """Try the check-in again with backoff, for up to ``retry_for`` seconds of waiting."""
        wait, waited = self.policy.first_retry, 0.0
        while waited < self.policy.retry_for:
            await self._sleep(wait)
            waited += wait
            try:
                await self._checkin_unless_newer()
            except StoreUnavailable:
                wait = min(wait * 2, self.policy.max_wait, self.policy.retry_for - waited)
                continue
            log.info("conversation %s saved after its turn", self.lease.conversation_id)
            return
        log.error(
            "conversation %s was not saved after its turn: the store was unavailable for %g s; "
            "its next turn starts from the counter saved before",
            self.lease.conversation_id,
            waited,
        )

    async def _checkin_unless_newer(self) -> None:
        """The check-in, unless the store has a later turn of the conversation by now (another
        worker ran one once the lease had expired): that one is kept, and the lease given
        back."""
        stored = await self.store.get(self.lease.conversation_id)
        if stored is not None and stored.conversation.turn >= self.conversation.turn:
            await self.store.release(self.lease)
            return
        await self.store.checkin(self.service, self.conversation, self.lease)
