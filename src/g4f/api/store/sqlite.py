"""``sqlite:///PATH``: conversations in a SQLite file, so they survive restarts (the default).

Written safely: WAL journal, one transaction per change, the file created readable by its owner
only (0600; SQLite gives its ``-wal`` and ``-shm`` files the same mode). The journal is folded
into the file every second by a background checkpoint on a connection of its own, not by
the request that happens to fill it (that request would wait for the disk: the p99 of a
request's store work fell from ~1.5 to ~0.7 ms, ``benchmarks/RESULTS.md`` §10); past
:data:`WAL_PAGES_BOUND` pages a request checkpoints anyway, so the journal stays bounded.

Several processes on one machine may share the file (``g4f api --workers N``); leases are rows,
so a conversation runs one turn at a time across them. Expired conversations and those past the
cap are deleted through an index on last use, never by scanning the table; the count is kept in
the file, too.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ...protocol.conversation import Conversation
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

__all__ = ["SqliteStore"]

T = TypeVar("T")

CHECKPOINT_SECONDS = 1.0
"""How often the journal is folded into the file."""
WAL_PAGES_BOUND = 10_000
"""Past this many journal pages (about 40 MB) a write checkpoints by itself."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_by_use ON conversations (last_used);
CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, token TEXT NOT NULL, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, data TEXT NOT NULL, until REAL NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_expiry ON records (until);
INSERT OR IGNORE INTO meta VALUES ('count', (SELECT COUNT(*) FROM conversations));
"""


class SqliteStore(ConversationStore):
    """Conversations in the SQLite file at ``path``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        ttl: float,
        cap: int,
        *,
        clock: Callable[[], float] = time.time,
        cipher: SignatureCipher | None = None,
    ) -> None:
        self.path = Path(path).expanduser()
        self.ttl, self.cap, self.clock = ttl, cap, clock
        self.cipher = cipher or SignatureCipher(None)
        self._db: sqlite3.Connection | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._checkpoints: asyncio.Future[None] | None = None
        self._lock = threading.Lock()
        self._identity: tuple[int, int] | None = None
        """The file's (device, inode) when it was opened: the file the connections write."""

    def describe(self) -> str:
        return f"sqlite:///{self.path.absolute()}"

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot create the conversation store {self.path}: {exc.strerror or exc}"
                f"{_ADVICE.get(_OS_KINDS.get(exc.errno or 0, ''), '')}"
            ) from None
        db = None
        try:
            db = self._connect()
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(str(check[0] if check else "no answer"))
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES_BOUND}")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            raise _open_failure(self.path, exc) from None
        self._db, self._checkpointer = db, self._connect()
        self._identity = _identity(self.path)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)

    async def open(self) -> None:
        await asyncio.to_thread(self._open)
        self._checkpoints = asyncio.ensure_future(self._checkpoint_now_and_then())

    async def _checkpoint_now_and_then(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            await asyncio.to_thread(self._checkpoint, "PASSIVE")

    def _checkpoint(self, mode: str) -> None:
        """Fold the journal into the file (PASSIVE: without waiting for anyone)."""
        checkpointer = self._checkpointer
        if checkpointer is not None:
            with contextlib.suppress(sqlite3.Error):  # e.g. busy: the next one will do
                checkpointer.execute(f"PRAGMA wal_checkpoint({mode})")

    async def close(self) -> None:
        await self._cancel_checkins()
        if self._checkpoints is not None:
            self._checkpoints.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpoints
            self._checkpoints = None
        db, self._db = self._db, None
        if db is not None:
            await asyncio.to_thread(self._checkpoint, "PASSIVE")
            await asyncio.to_thread(db.close)
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.close)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._locked, work)

    def _locked(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._db is None:
            raise StoreUnavailable("the conversation store is not open")
        with self._lock:
            db = self._db
            self._check_still_there()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(db)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                return result
            except sqlite3.OperationalError as exc:  # e.g. locked past the timeout, disk full
                raise StoreUnavailable(f"the conversation store failed: {exc}") from None

    def _check_still_there(self) -> None:
        """:class:`StoreUnavailable` when the path no longer names the open file (its directory
        was removed, or the file replaced): what would be written now is lost at the next
        start, so nothing is acknowledged."""
        try:
            current = _identity(self.path)
        except OSError:
            current = None
        if current != self._identity:
            raise StoreUnavailable(
                f"the conversation store {self.path} was removed or replaced while serving; "
                "nothing more is written to it: restore it or restart g4f api"
            )

    async def get(self, conversation_id: str) -> Stored | None:
        now = self.clock()
        text = await self._run(lambda db: self._get(db, conversation_id, now))
        return decode(text, self.cipher) if text is not None else None

    def _get(self, db: sqlite3.Connection, conversation_id: str, now: float) -> str | None:
        row = db.execute(
            "SELECT data, last_used FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            return None
        if row[1] <= now - self.ttl:
            self._delete(db, "DELETE FROM conversations WHERE id = ?", (conversation_id,))
            return None
        db.execute("UPDATE conversations SET last_used = ? WHERE id = ?", (now, conversation_id))
        return str(row[0])

    async def checkout(
        self, conversation_id: str, seconds: float
    ) -> tuple[Stored | None, Lease | None]:
        """Get and lease in one transaction."""
        now, token = self.clock(), os.urandom(8).hex()

        def work(db: sqlite3.Connection) -> tuple[str | None, bool]:
            text = self._get(db, conversation_id, now)
            if text is None:
                return None, False
            return text, self._lease(db, conversation_id, token, now, seconds)

        text, taken = await self._run(work)
        if text is None:
            return None, None
        return decode(text, self.cipher), Lease(conversation_id, token) if taken else None

    async def start(self, service: str, conversation: Conversation, seconds: float) -> Lease:
        """Put and lease in one transaction."""
        now, token = self.clock(), os.urandom(8).hex()
        text, key = encode(service, conversation, self.cipher), conversation.conversation_id

        def work(db: sqlite3.Connection) -> bool:
            self._put(db, key, text, now)
            return self._lease(db, key, token, now, seconds)

        if not await self._run(work):
            raise StoreUnavailable(f"a new conversation's id is leased already: {key}")
        return Lease(key, token)

    async def checkin(self, service: str, conversation: Conversation, lease: Lease) -> None:
        """Put and release in one transaction."""
        now, text = self.clock(), encode(service, conversation, self.cipher)

        def work(db: sqlite3.Connection) -> None:
            self._put(db, conversation.conversation_id, text, now)
            self._release(db, lease)

        await self._run(work)

    async def put(self, service: str, conversation: Conversation) -> None:
        now, text = self.clock(), encode(service, conversation, self.cipher)
        await self._run(lambda db: self._put(db, conversation.conversation_id, text, now))

    def _put(self, db: sqlite3.Connection, key: str, text: str, now: float) -> None:
        known = db.execute("SELECT 1 FROM conversations WHERE id = ?", (key,)).fetchone()
        db.execute(
            "INSERT INTO conversations (id, data, last_used) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
            "last_used = excluded.last_used",
            (key, text, now),
        )
        if known is None:
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'count'")
        self._purge(db, now)
        excess = self._count(db) - self.cap
        if excess > 0:
            self._delete(
                db,
                "DELETE FROM conversations WHERE id IN "
                "(SELECT id FROM conversations ORDER BY last_used LIMIT ?)",
                (excess,),
            )

    async def forget(self, conversation_id: str) -> None:
        sql = "DELETE FROM conversations WHERE id = ?"
        await self._run(lambda db: self._delete(db, sql, (conversation_id,)))

    def _purge(self, db: sqlite3.Connection, now: float) -> None:
        """Delete the expired conversations (through the index on last use)."""
        self._delete(db, "DELETE FROM conversations WHERE last_used <= ?", (now - self.ttl,))

    @staticmethod
    def _count(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE key = 'count'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _delete(db: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]) -> None:
        deleted = db.execute(sql, parameters).rowcount
        if deleted > 0:
            db.execute("UPDATE meta SET value = value - ? WHERE key = 'count'", (deleted,))

    async def lease(self, conversation_id: str, seconds: float) -> Lease | None:
        now, token = self.clock(), os.urandom(8).hex()
        taken = await self._run(lambda db: self._lease(db, conversation_id, token, now, seconds))
        return Lease(conversation_id, token) if taken else None

    @staticmethod
    def _lease(
        db: sqlite3.Connection, conversation_id: str, token: str, now: float, seconds: float
    ) -> bool:
        taken = db.execute(
            "INSERT INTO leases (id, token, until) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET token = excluded.token, until = excluded.until "
            "WHERE leases.until <= ?",
            (conversation_id, token, now + seconds, now),
        ).rowcount
        return bool(taken == 1)

    async def release(self, lease: Lease) -> None:
        await self._run(lambda db: self._release(db, lease))

    @staticmethod
    def _release(db: sqlite3.Connection, lease: Lease) -> None:
        db.execute(
            "DELETE FROM leases WHERE id = ? AND token = ?", (lease.conversation_id, lease.token)
        )

    async def renew(self, lease: Lease, seconds: float) -> bool:
        now = self.clock()
        renewal = (now + seconds, lease.conversation_id, lease.token, now)

        def work(db: sqlite3.Connection) -> bool:
            sql = "UPDATE leases SET until = ? WHERE id = ? AND token = ? AND until > ?"
            return bool(db.execute(sql, renewal).rowcount == 1)

        return await self._run(work)

    async def count(self) -> int:
        now = self.clock()

        def work(db: sqlite3.Connection) -> int:
            self._purge(db, now)
            return self._count(db)

        return await self._run(work)

    async def put_record(self, record: ResponseRecord) -> None:
        now, text = self.clock(), record.to_text()

        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM records WHERE until <= ?", (now,))  # by the index
            db.execute(
                "INSERT INTO records (id, data, until) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET data = excluded.data, until = excluded.until",
                (record.record_id, text, now + self.ttl),
            )

        await self._run(work)

    async def get_record(self, record_id: str) -> ResponseRecord | None:
        now = self.clock()
        row = await self._run(
            lambda db: db.execute(
                "SELECT data FROM records WHERE id = ? AND until > ?", (record_id, now)
            ).fetchone()
        )
        return ResponseRecord.from_text(record_id, str(row[0])) if row else None

    async def delete_record(self, record_id: str) -> bool:
        now = self.clock()
        deleted = await self._run(
            lambda db: (
                db.execute(
                    "DELETE FROM records WHERE id = ? AND until > ?", (record_id, now)
                ).rowcount
            )
        )
        return bool(deleted)


def _identity(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


_OS_KINDS = {errno.EROFS: "readonly", errno.EACCES: "readonly", errno.EPERM: "readonly",
             errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EIO: "io"}  # fmt: skip
_SQLITE_KINDS = {
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_FULL": "full",
    "SQLITE_READONLY": "readonly",
    "SQLITE_PERM": "readonly",
    "SQLITE_CANTOPEN": "readonly",
    "SQLITE_IOERR": "io",
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
}
_ADVICE = {
    "full": "; free space on that disk (the store itself is fine) and start again",
    "readonly": (
        "; the data directory cannot be written: fix its permissions or the mount, or use "
        "--store memory:// (nothing kept) or --store sqlite:///another/path"
    ),
    "io": "; the disk failed to read or write: check the device (the store may be fine)",
    "busy": "; another process holds the file locked: stop it, or use another --store path",
}


def _kind(exc: sqlite3.DatabaseError) -> str:
    """``corrupt``, ``full``, ``readonly``, ``io`` or ``busy``: what a failure at open means,
    by SQLite's primary result code (an unknown one, or a failed integrity check, is corrupt)."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    for prefix, kind in _SQLITE_KINDS.items():
        if name == prefix or name.startswith(prefix + "_"):
            return kind
    return "corrupt" if not isinstance(exc, sqlite3.OperationalError) or not name else "io"


def _open_failure(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    """The :class:`StoreError` for a store that could not be opened, with what to do: only a
    damaged file is to be moved aside; a full disk, a read-only directory or an I/O error
    leave a healthy store, which must not be thrown away."""
    kind = _kind(exc)
    if kind == "corrupt":
        return StoreError(
            f"the conversation store {path} is damaged or not a SQLite database ({exc}); "
            "move it aside (its conversations are lost) or choose another with --store"
        )
    what = {"full": "the disk is full", "readonly": "it is read-only", "io": "an I/O error",
            "busy": "it is locked"}[kind]  # fmt: skip
    return StoreError(f"cannot open the conversation store {path}: {what} ({exc}){_ADVICE[kind]}")
