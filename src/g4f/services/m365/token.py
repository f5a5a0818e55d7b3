"""The user's own Microsoft 365 Copilot token (M365-CHATHUB.md §1): where it comes from, and
what can be checked of it before connecting.

The token is passed by the user — a value, a file (re-read when it changes, so a long-running
server follows a refreshed token) or ``$M365_COPILOT_TOKEN`` — and is never logged, shown,
written or put in an error. Nothing here obtains a token: no password is typed, no login page
driven, no token minted.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ...errors import NotAuthorized, caused_by

__all__ = ["AUDIENCE", "ENV_TOKEN", "TOKEN_HINT", "Token", "TokenSource", "read_claims"]

log = logging.getLogger(__name__)

AUDIENCE = "https://substrate.office.com/sydney"
"""The audience (``aud``) of a token the Chathub accepts."""
ENV_TOKEN = "M365_COPILOT_TOKEN"
"""Environment variable holding the token."""
TOKEN_HINT = (
    "copy a fresh token from your own signed-in browser: open Microsoft 365 Copilot, then "
    "DevTools → Network → the Chathub websocket request → its access_token parameter "
    "(tokens last about an hour)"
)


@dataclass(frozen=True, slots=True)
class Token:
    """A checked bearer token. Its ``repr`` shows when it expires, never the token.

    Attributes:
        value: the token itself (a credential).
        oid: the user's object id (the websocket path needs it).
        tid: the tenant id (likewise).
        expires: when it expires (UTC), if it says.
    """

    value: str
    oid: str
    tid: str
    expires: datetime | None

    def __repr__(self) -> str:
        when = self.expires.isoformat(timespec="seconds") if self.expires else "unknown"
        return f"Token(<redacted>, expires={when})"

    @classmethod
    def parse(cls, value: str, *, now: Callable[[], float] = time.time) -> Token:
        """Check ``value`` as M365-CHATHUB.md §1 says; :class:`~g4f.errors.NotAuthorized`
        saying what is wrong and how to get a fresh one. A wrong audience is only a warning:
        the service decides.

        >>> Token.parse("not a token")
        Traceback (most recent call last):
        ...
        g4f.errors.NotAuthorized: the token is malformed: it is not three dot-separated parts (...)
        """
        value = value.strip()
        claims = read_claims(value)
        oid, tid = claims.get("oid"), claims.get("tid")
        if not isinstance(oid, str) or not oid or not isinstance(tid, str) or not tid:
            raise _rejected(
                "the token has no user (oid) or tenant (tid): it is not a Copilot token"
            )
        exp = claims.get("exp")
        expires = None
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            expires = datetime.fromtimestamp(exp, UTC)
        token = cls(value, oid, tid, expires)
        token.check_fresh(now())
        audience = claims.get("aud")
        if audience != AUDIENCE:
            log.warning(
                "the token's audience is %r, not %r: the service may refuse it",
                audience if isinstance(audience, str) else None,
                AUDIENCE,
            )
        return token

    def check_fresh(self, now: float) -> None:
        """:class:`~g4f.errors.NotAuthorized`, saying when, if the token has expired at ``now``
        (seconds since the epoch)."""
        if self.expires is None:
            return
        ago = now - self.expires.timestamp()
        if ago >= 0:
            raise _rejected(
                f"the token expired {_duration(ago)} ago "
                f"(at {self.expires.isoformat(timespec='seconds')})"
            )


def _rejected(why: str) -> NotAuthorized:
    return NotAuthorized(why, advice=TOKEN_HINT)


def read_claims(value: str) -> dict[str, object]:
    """The claims of a JWT, read without checking its signature (nothing here can: M365-CHATHUB.md
    §1); :class:`~g4f.errors.NotAuthorized` saying what is malformed."""
    parts = value.split(".")
    if len(parts) != 3 or not all(parts):
        raise _rejected("the token is malformed: it is not three dot-separated parts")
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


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


class TokenSource:
    """Where the token comes from, checked each time it is asked for.

    A file is re-read when it changes (its size or modification time), so a long-running
    ``g4f api`` keeps working when the user saves a fresh token into it; the file holds the token
    alone, surrounding whitespace ignored.

    Example::

        source = TokenSource.resolve(token_file="~/.config/m365-token")
        token = source.current()  # NotAuthorized, with what to do, if it is bad or expired
    """

    def __init__(
        self,
        *,
        value: str | None = None,
        path: str | os.PathLike[str] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        if (value is None) == (path is None):
            raise ValueError("give a token value or a token file, one of them")
        self._value, self._path = value, Path(path) if path is not None else None
        self._now = now
        self._seen: tuple[int, int] | None = None
        self._token: Token | None = None

    def __repr__(self) -> str:
        where = f"file {str(self._path)!r}" if self._path is not None else "a value"
        return f"TokenSource({where})"

    @classmethod
    def resolve(
        cls,
        token: str | None = None,
        token_file: str | os.PathLike[str] | None = None,
        *,
        now: Callable[[], float] = time.time,
    ) -> TokenSource:
        """``token``, else ``token_file``, else ``$M365_COPILOT_TOKEN``; without any,
        :class:`~g4f.errors.NotAuthorized` saying how to pass one."""
        if token is not None:
            return cls(value=token, now=now)
        if token_file is not None:
            return cls(path=Path(token_file).expanduser(), now=now)
        from_env = os.environ.get(ENV_TOKEN, "").strip()
        if from_env:
            return cls(value=from_env, now=now)
        raise NotAuthorized(
            f"no Microsoft 365 Copilot token: pass --token-file FILE, set ${ENV_TOKEN}, "
            "or give token=",
            advice=TOKEN_HINT,
        )

    def current(self) -> Token:
        """The token as it is now: read (again, if its file changed), and checked for expiry
        each time (a token kept since it was read may have expired since)."""
        if self._path is not None:
            token = self._read_file(self._path)
        else:
            token = self._token or Token.parse(self._value or "", now=self._now)
        self._token = token
        token.check_fresh(self._now())
        return token

    def _read_file(self, path: Path) -> Token:
        try:
            stat = path.stat()
            seen = (stat.st_mtime_ns, stat.st_size)
            if self._token is not None and seen == self._seen:
                return self._token
            token = Token.parse(path.read_text(encoding="utf-8"), now=self._now)
            self._seen = seen  # only once it is read: a broken new file is reported every time
            return token
        except OSError as exc:
            unreadable = f"cannot read the token file {path}: {exc.strerror or exc}"
            failure = caused_by(NotAuthorized(unreadable, advice=TOKEN_HINT), exc)
        raise failure  # outside the except: the original is no __context__ of it
