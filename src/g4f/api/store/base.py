"""The conversation store's interface, what it keeps, and how it fails.

A store keeps, per conversation: the service, its ids and turn counter, its style or tone, its
expiry on the service's side, and when it was last used — what a resumed turn needs, nothing
else. Beside them, small records that name a conversation (:class:`ResponseRecord`: a stored
Responses API answer, or the history a Messages API conversation has reached), each expiring
``ttl`` after it was kept. Bing's conversation signatures are credentials: with an operator
key they are encrypted at rest. Tokens are never stored (a
:class:`~g4f.protocol.conversation.Conversation` holds none).
"""

from __future__ import annotations

import base64
import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from ...errors import StoreError, StoreUnavailable
from ...protocol.conversation import Conversation
from .leases import Holding, LeasePolicy, PendingCheckins

__all__ = [
    "ConversationStore",
    "Lease",
    "ResponseRecord",
    "SignatureCipher",
    "StoreError",
    "StoreUnavailable",
    "Stored",
]

_ENCRYPTED = "enc:v1:"
_SECRET_FIELDS = ("signature", "encrypted_signature")


@dataclass(frozen=True, slots=True)
class Lease:
    """A held lease on one conversation: its next turn runs here, nowhere else."""

    conversation_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Stored:
    """A conversation as the store gives it back, with the service it belongs to."""

    service: str
    conversation: Conversation


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """A record that names a conversation: a Responses API answer kept for
    ``previous_response_id`` (``data``: its response object, JSON), or the history a Messages
    API conversation has reached. ``turn``: the conversation's turn counter just after it (a
    record whose conversation has since moved on does not continue it)."""

    record_id: str
    conversation_id: str
    turn: int
    data: str = "{}"

    def to_text(self) -> str:
        """The stored text of the record."""
        return json.dumps(
            {"conversation_id": self.conversation_id, "turn": self.turn, "data": self.data}
        )

    @classmethod
    def from_text(cls, record_id: str, text: str) -> ResponseRecord:
        """A record back from :meth:`to_text`; :class:`StoreError` if it is not one."""
        try:
            found = json.loads(text)
            return cls(record_id, str(found["conversation_id"]), int(found["turn"]), found["data"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"a stored response cannot be read: {exc}") from None


class SignatureCipher:
    """Encrypts Bing's conversation signatures at rest with the operator's key (Fernet:
    AES-128-CBC and HMAC-SHA256), or leaves them in clear when there is no key.

    Any string is a key: it is stretched with SHA-256 into Fernet's 32 bytes.
    """

    def __init__(self, key: str | None) -> None:
        self._fernet: Any = None
        if key:
            try:
                from cryptography.fernet import Fernet
            except ImportError:
                raise StoreError(
                    "--store-key needs the 'cryptography' package (the api extra installs it)"
                ) from None
            digest = hashlib.sha256(key.encode("utf-8")).digest()
            self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a conversation's dict) with its signatures encrypted."""
        if self._fernet is None:
            return data
        sealed = dict(data)
        for name in _SECRET_FIELDS:
            value = sealed.get(name)
            if isinstance(value, str):
                sealed[name] = _ENCRYPTED + self._fernet.encrypt(value.encode()).decode()
        return sealed

    def open(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with its signatures decrypted; :class:`StoreError` if the key is wrong or
        missing for an encrypted one."""
        opened = dict(data)
        for name in _SECRET_FIELDS:
            value = opened.get(name)
            if not isinstance(value, str) or not value.startswith(_ENCRYPTED):
                continue
            if self._fernet is None:
                raise StoreError("a stored signature is encrypted and no --store-key is set")
            from cryptography.fernet import InvalidToken

            try:
                opened[name] = self._fernet.decrypt(value[len(_ENCRYPTED) :].encode()).decode()
            except InvalidToken:
                raise StoreError(
                    "a stored signature cannot be decrypted: --store-key is not the key it "
                    "was stored with"
                ) from None
        return opened


def encode(service: str, conversation: Conversation, cipher: SignatureCipher) -> str:
    """The stored text of a conversation."""
    return json.dumps({"service": service, "conversation": cipher.seal(conversation.to_dict())})


def decode(text: str, cipher: SignatureCipher) -> Stored:
    """A stored conversation back; :class:`StoreError` if it is not one."""
    try:
        data = json.loads(text)
        conversation = Conversation.from_dict(cipher.open(data["conversation"]))
        return Stored(str(data["service"]), conversation)
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"a stored conversation cannot be read: {exc}") from None


class ConversationStore(ABC):
    """Where ``g4f api`` keeps conversations by id, with a time to live after their last use, a
    cap (the least recently used go first), and leases so that one conversation runs one turn at
    a time, across processes.

    Every method may raise :class:`StoreUnavailable`; :meth:`open` raises :class:`StoreError`.
    """

    ttl: float
    cap: int
    cipher: SignatureCipher
    lease_policy: LeasePolicy = LeasePolicy()
    """How turns hold their conversations (renewals, check-in retries); tests shorten it."""
    _pending: PendingCheckins | None = None

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for the start-up line (never a password)."""

    @property
    def shared(self) -> bool:
        """Whether several processes can share it (``False``: one process only)."""
        return True

    @abstractmethod
    async def open(self) -> None:
        """Connect and check: :class:`StoreError` naming the store if it cannot be used."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections and files."""

    @abstractmethod
    async def get(self, conversation_id: str) -> Stored | None:
        """The live conversation with this id (its last use is now), or ``None``."""

    @abstractmethod
    async def put(self, service: str, conversation: Conversation) -> None:
        """Keep ``conversation`` (its last use is now); past the cap, the least recently used
        go, and expired ones are purged — by index, never by a scan of every conversation."""

    @abstractmethod
    async def forget(self, conversation_id: str) -> None:
        """Drop ``conversation_id`` (the service no longer knows it); nothing if unknown."""

    @abstractmethod
    async def lease(self, conversation_id: str, seconds: float) -> Lease | None:
        """Hold ``conversation_id`` for ``seconds`` (a crashed holder's lease then expires), or
        ``None`` if another request holds it."""

    @abstractmethod
    async def release(self, lease: Lease) -> None:
        """Give the lease back (only if it is still this one)."""

    @abstractmethod
    async def renew(self, lease: Lease, seconds: float) -> bool:
        """Hold ``lease`` for ``seconds`` from now if it is still this one (its holder's and
        not expired), atomically; ``False`` (and nothing changed) otherwise."""

    def holding(
        self, lease: Lease, service: str, conversation: Conversation, seconds: float
    ) -> Holding:
        """The async context manager a turn runs in: ``lease`` renewed while it runs (for
        ``seconds`` each time), the conversation checked in and the lease given back when it
        ends — retried in the background if the store is unavailable then (see
        :mod:`g4f.api.store.leases`)."""
        return Holding(self, lease, service, conversation, seconds, policy=self.lease_policy)

    @property
    def pending_checkins(self) -> PendingCheckins:
        """The check-ins being retried in the background."""
        if self._pending is None:
            self._pending = PendingCheckins()
        return self._pending

    async def _cancel_checkins(self) -> None:
        """At close: stop retrying check-ins (logged: those turns are not saved)."""
        if self._pending is not None:
            await self._pending.cancel()

    async def checkout(
        self, conversation_id: str, seconds: float
    ) -> tuple[Stored | None, Lease | None]:
        """Before a turn of a known conversation: :meth:`get` it and :meth:`lease` it (a store
        may do both in one round trip). ``(None, None)`` if it is unknown; a lease of ``None``
        if another request holds it."""
        stored = await self.get(conversation_id)
        if stored is None:
            return None, None
        return stored, await self.lease(conversation_id, seconds)

    async def start(self, service: str, conversation: Conversation, seconds: float) -> Lease:
        """Before the first turn of a new conversation: :meth:`put` it and lease it."""
        await self.put(service, conversation)
        lease = await self.lease(conversation.conversation_id, seconds)
        if lease is None:  # its id is new: only a reused id can be held already
            raise StoreUnavailable(f"a new conversation's id is leased already: {conversation}")
        return lease

    async def checkin(self, service: str, conversation: Conversation, lease: Lease) -> None:
        """After a turn: :meth:`put` the conversation (its new turn counter) and
        :meth:`release` its lease (a store may do both in one round trip)."""
        await self.put(service, conversation)
        await self.release(lease)

    @abstractmethod
    async def count(self) -> int:
        """Conversations kept (for tests and diagnostics)."""

    @abstractmethod
    async def put_record(self, record: ResponseRecord) -> None:
        """Keep ``record`` for ``ttl`` seconds (replacing one with its id)."""

    @abstractmethod
    async def get_record(self, record_id: str) -> ResponseRecord | None:
        """The live record with this id, or ``None``."""

    @abstractmethod
    async def delete_record(self, record_id: str) -> bool:
        """Forget the record; whether there was a live one."""
