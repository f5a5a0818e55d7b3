"""The user's own Microsoft 365 Copilot token (M365-CHATHUB.md §1): where it comes from, and
what can be checked of it before connecting.

The token is passed by the user — a value, a file (re-read when it changes, so a long-running
server follows a refreshed token) or ``$M365_COPILOT_TOKEN`` — as the token alone (a work or
school JWT, ``Bearer `` prefix or not) or as the **whole websocket URL** copied from the browser
(path, token and account kind at once; the only way for a consumer account's encrypted token).
It is never logged, shown, written or put in an error. Nothing here obtains a token: no password
is typed, no login page driven, no token minted.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ...errors import NotAuthorized, caused_by
from . import pipe
from .account import ChathubUrl, parse_chathub_url
from .pipe import read_pipe

__all__ = [
    "AUDIENCE",
    "ENV_TOKEN",
    "EXPIRY_WARNING_SECONDS",
    "MAX_TOKEN_FILE_BYTES",
    "TOKEN_HINT",
    "Token",
    "read_claims",
    "strip_bearer",
]

log = logging.getLogger(__name__)

AUDIENCE = "https://substrate.office.com/sydney"
"""The audience (``aud``) of a token the Chathub accepts."""
ENV_TOKEN = "M365_COPILOT_TOKEN"
"""Environment variable holding the token (or the pasted websocket URL)."""
TOKEN_HINT = (
    "copy a fresh token from your own signed-in browser: open Microsoft 365 "
    "Copilot, then DevTools → Network → the Chathub websocket request → copy its URL, and "
    "give it whole (or its access_token parameter alone; tokens last about an hour)"
)
EXPIRY_WARNING_SECONDS = 300.0
"""A token that expires within this long gets a warning before a turn starts."""
MAX_TOKEN_FILE_BYTES = 64 * 1024
"""A token file larger than this is refused (a token, or a URL holding one, is a few KiB)."""
_PROC_FD_PREFIXES = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")


def strip_bearer(text: str) -> str:
    """``text`` without surrounding whitespace and a ``Bearer `` prefix (any case)."""
    text = text.strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    return text


@dataclass(frozen=True, slots=True)
class Token:
    """A checked bearer token. Its ``repr`` shows when it expires, never the token.

    Attributes:
        value: the token itself (a credential).
        oid: the user's object id (the websocket path needs it).
        tid: the tenant id (likewise).
        expires: when it expires (UTC), if it says (an encrypted token does not).
        encrypted: a consumer account's encrypted token (five segments, no readable claims).
        url: the websocket URL it was pasted in, if it was (host, path, account's query).
        audience: its ``aud`` claim, if readable.
        user: its ``upn`` / ``preferred_username`` claim, if readable.
    """

    value: str
    oid: str
    tid: str
    expires: datetime | None
    encrypted: bool = False
    url: ChathubUrl | None = field(default=None, compare=False)
    audience: str | None = None
    user: str | None = None

    def __repr__(self) -> str:
        when = self.expires.isoformat(timespec="seconds") if self.expires else "unknown"
        return f"Token(<redacted>, expires={when})"

    @classmethod
    def parse(cls, text: str, *, now: Callable[[], float] = time.time) -> Token:
        """Check ``text`` — a token or a pasted websocket URL — as M365-CHATHUB.md §1 says;
        :class:`~g4f.errors.NotAuthorized` saying what is wrong and how to get a fresh one. A
        wrong audience is only a warning: the service decides.

        >>> Token.parse("not a token")
        Traceback (most recent call last):
        ...
        g4f.errors.NotAuthorized: the token is malformed: it is not three dot-separated parts (...)
        """
        token = cls.read(text)
        token.check_fresh(now())
        if token.audience is not None and token.audience != AUDIENCE:
            log.warning(
                "the token's audience is %r, not %r: the service may refuse it",
                token.audience,
                AUDIENCE,
            )
        return token

    @classmethod
    def read(cls, text: str) -> Token:
        """What ``text`` holds, unchecked for expiry; ``NotAuthorized`` if it is unreadable."""
        text = strip_bearer(text)
        url = None
        if "://" in text:
            try:
                url = parse_chathub_url(text)
            except ValueError as exc:
                raise _rejected(str(exc)) from None
            text = strip_bearer(url.token)
        segments = text.split(".")
        if len(segments) == 5 and all(segments):
            if url is None:
                raise _rejected(
                    "this is an encrypted (consumer account) token: its user and tenant cannot "
                    "be read from it, so paste the whole websocket URL instead of the token"
                )
            return cls(text, url.oid, url.tid, None, encrypted=True, url=url)
        claims = read_claims(text)
        oid, tid = claims.get("oid"), claims.get("tid")
        if url is not None:
            oid, tid = url.oid, url.tid
        if not isinstance(oid, str) or not oid or not isinstance(tid, str) or not tid:
            raise _rejected(
                "the token has no user (oid) or tenant (tid): it is not a Copilot token"
            )
        exp, aud = claims.get("exp"), claims.get("aud")
        expires = None
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            expires = datetime.fromtimestamp(exp, UTC)
        user = claims.get("upn") or claims.get("preferred_username")
        return cls(
            text,
            oid,
            tid,
            expires,
            url=url,
            audience=aud if isinstance(aud, str) else "",
            user=user if isinstance(user, str) else None,
        )

    def check_fresh(self, now: float) -> None:
        """:class:`~g4f.errors.NotAuthorized`, saying when, if the token has expired at ``now``
        (seconds since the epoch)."""
        if self.expires is None:
            return
        ago = now - self.expires.timestamp()
        if ago >= 0:
            raise _rejected(
                f"the token expired {duration(ago)} ago "
                f"(at {self.expires.isoformat(timespec='seconds')})"
            )

    def expires_in(self, now: float) -> float | None:
        """Seconds until it expires (``None``: unknown, an encrypted token)."""
        return None if self.expires is None else self.expires.timestamp() - now


def _rejected(why: str) -> NotAuthorized:
    return NotAuthorized(why, advice=TOKEN_HINT)


def read_claims(value: str) -> dict[str, object]:
    """The claims of a JWT, read without checking its signature (nothing here can: M365-CHATHUB.md
    §1); :class:`~g4f.errors.NotAuthorized` saying what is malformed."""
    parts = value.split(".")
    if len(parts) != 3 or not all(parts):
        raise _rejected(
            "the token is malformed: it is not three dot-separated parts (a work or school "
            "token) nor five (an encrypted one, given in its pasted URL)"
        )
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    failure: NotAuthorized | None = None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, RecursionError) as exc:
        failure = caused_by(_rejected("the token is malformed: its claims cannot be read"), exc)
    if failure is not None:
        raise failure  # outside the except: the original (it holds the claims) is no context
    if not isinstance(claims, dict):
        raise _rejected("the token is malformed: its claims are not an object")
    return claims


def duration(seconds: float) -> str:
    """``seconds`` in words: ``"5 minutes"``."""
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


def unreadable(path: Path, why: str, advice: str = TOKEN_HINT) -> NotAuthorized:
    """The error for a token file that cannot be read, saying ``why`` and, in ``advice``, how
    to get a token (Microsoft 365's way unless told)."""
    return NotAuthorized(f"cannot read the token file {path}: {why}", advice=advice)


def _from_pipe(path: Path, fd: int, advice: str) -> bytes:
    data = read_pipe(fd, MAX_TOKEN_FILE_BYTES + 1, pipe.PIPE_SECONDS)
    if data is None:
        raise unreadable(path, f"the pipe gave no token within {pipe.PIPE_SECONDS:g} s", advice)
    return data


def is_proc_fd(path: Path) -> bool:
    """Whether ``path`` names an inherited descriptor (``--token-file <(…)``)."""
    return str(path).startswith(_PROC_FD_PREFIXES)


def read_token_file_if_changed(
    path: Path, seen: tuple[int, ...] | None, advice: str = TOKEN_HINT
) -> tuple[str, os.stat_result] | None:
    """:func:`read_token_file`, unless the file's :func:`file_signature` is still ``seen``
    (``None``: never read) — then ``None``. A file that cannot be looked at is
    :class:`~g4f.errors.NotAuthorized` with ``advice``."""
    failure: NotAuthorized | None = None
    try:
        unchanged = seen is not None and file_signature(path.stat()) == seen
    except OSError as exc:
        failure = caused_by(unreadable(path, exc.strerror or str(exc), advice), exc)
    if failure is not None:
        raise failure  # outside the except: the original is no __context__ of it
    return None if unchanged else read_token_file(path, advice)


def read_token_file(path: Path, advice: str = TOKEN_HINT) -> tuple[str, os.stat_result]:
    """The text of a token file and its status; :class:`~g4f.errors.NotAuthorized` (with
    ``advice``) for a file that is not a regular file (a FIFO would block: refused, except an
    inherited pipe such as ``<(…)``, read once), one larger than :data:`MAX_TOKEN_FILE_BYTES`,
    or unreadable. Every service's token file is read so. Blocking: call it off the loop."""
    failure: NotAuthorized | None = None
    try:
        status = path.stat()
        kind = status.st_mode
        if not stat.S_ISREG(kind) and not (stat.S_ISFIFO(kind) and is_proc_fd(path)):
            what = "a FIFO (named pipe)" if stat.S_ISFIFO(kind) else "not a regular file"
            raise unreadable(
                path,
                f"it is {what}; save the token in a regular file (or use <(…) for a pipe)",
                advice,
            )
        with path.open("rb") as file:
            if stat.S_ISFIFO(kind):  # an inherited pipe: its writer may never write
                data = _from_pipe(path, file.fileno(), advice)
            else:
                data = file.read(MAX_TOKEN_FILE_BYTES + 1)
    except OSError as exc:
        failure = caused_by(unreadable(path, exc.strerror or str(exc), advice), exc)
    if failure is not None:
        raise failure  # outside the except: the original is no __context__ of it
    if len(data) > MAX_TOKEN_FILE_BYTES:
        raise unreadable(
            path, f"it is larger than {MAX_TOKEN_FILE_BYTES} bytes: not a token", advice
        )
    try:
        return data.decode("utf-8"), status
    except UnicodeDecodeError:
        pass
    raise unreadable(path, "it is not UTF-8 text", advice)


def file_signature(status: os.stat_result) -> tuple[int, ...]:
    """What tells a changed file: inode, device, size, modification and change times."""
    return (
        status.st_ino,
        status.st_dev,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )
