"""Where the user's Microsoft 365 Copilot token comes from, checked each time it is asked for:
a value, ``$M365_COPILOT_TOKEN`` or a file re-read (off the event loop) when it changes."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from ...errors import NotAuthorized
from .token import (
    ENV_TOKEN,
    EXPIRY_WARNING_SECONDS,
    TOKEN_HINT,
    Token,
    duration,
    file_signature,
    is_proc_fd,
    read_token_file_if_changed,
)

__all__ = ["TokenSource"]

log = logging.getLogger("g4f.services.m365.token")


class TokenSource:
    """Where the token comes from, checked each time it is asked for.

    A file is re-read when it changes (its inode, size, modification or change time), so a
    long-running ``g4f api`` keeps working when the user saves a fresh token into it; the file
    holds the token (or the pasted URL) alone, surrounding whitespace ignored. An inherited
    pipe (``--token-file <(…)``) is read once, at the start, and kept. :meth:`refresh` reads
    off the event loop; :meth:`current` uses what was read (reading once, if nothing was).

    ``warn`` is told, once each, what a user should know before a turn: a token that expires
    within five minutes, an encrypted one whose expiry is unknown, a file others can read
    (logged as a warning when no ``warn`` is given).

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
        warn: Callable[[str], None] | None = None,
    ) -> None:
        if (value is None) == (path is None):
            raise ValueError("give a token value or a token file, one of them")
        self._value, self._path = value, Path(path) if path is not None else None
        self._now, self._warn = now, warn
        self._seen: tuple[int, ...] | None = None
        self._token: Token | None = None
        self._warned: set[str] = set()
        self._once = self._path is not None and is_proc_fd(self._path)
        if self._once:  # a pipe can be read only once: now, at the start
            self._load()

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
        warn: Callable[[str], None] | None = None,
    ) -> TokenSource:
        """``token``, else ``token_file``, else ``$M365_COPILOT_TOKEN``; without any,
        :class:`~g4f.errors.NotAuthorized` saying how to pass one. Each may be the token or
        the whole websocket URL copied from the browser."""
        if token is not None:
            return cls(value=token, now=now, warn=warn)
        if token_file is not None:
            return cls(path=Path(token_file).expanduser(), now=now, warn=warn)
        from_env = os.environ.get(ENV_TOKEN, "").strip()
        if from_env:
            return cls(value=from_env, now=now, warn=warn)
        raise NotAuthorized(
            f"no Microsoft 365 Copilot token: pass --token-file FILE, set ${ENV_TOKEN}, "
            "or give token= (the token, or the whole websocket URL from your browser)",
            advice=TOKEN_HINT,
        )

    @property
    def path(self) -> Path | None:
        """The token file, if the token comes from one."""
        return self._path

    def current(self, *, reread: bool = True) -> Token:
        """The token as it is now, checked for expiry each time (a token kept since it was
        read may have expired since). A file is re-read here if it changed (a blocking read:
        on the event loop, pass ``reread=False`` and call :meth:`refresh` before, which reads
        off the loop); it is read in any case if it never was."""
        if self._path is None:
            token = self._token or Token.parse(self._value or "", now=self._now)
        elif reread or self._token is None:
            token = self._load()
        else:
            token = self._token
        self._token = token
        token.check_fresh(self._now())
        return token

    def last_read(self) -> Token | None:
        """The token last read, as it was: no freshness check, no read, never an error (what
        redaction needs, also once the token has expired); ``None`` if none was read yet."""
        return self._token

    async def refresh(self) -> Token:
        """Re-read the file if it changed (off the event loop), then :meth:`current`; and
        say what the user should know before a turn (see the class)."""
        if self._path is not None and not self._once:
            await asyncio.to_thread(self._load)
        token = self.current(reread=False)
        self._note(token)
        return token

    def _load(self) -> Token:
        path = self._path
        assert path is not None
        if self._once and self._token is not None:
            return self._token
        read = read_token_file_if_changed(path, self._seen if self._token is not None else None)
        if read is None:
            assert self._token is not None  # unchanged since it was read
            return self._token
        text, status = read
        token = Token.parse(text, now=self._now)
        if stat.S_ISREG(status.st_mode) and status.st_mode & 0o077:
            self._say(
                "mode",
                f"the token file {path} is readable by others (mode "
                f"{stat.S_IMODE(status.st_mode):04o}): chmod 600 it",
            )
        self._token, self._seen = token, file_signature(status)  # once read: a broken new file
        return token  # is reported every time

    def _note(self, token: Token) -> None:
        if token.encrypted:
            self._say(
                "encrypted",
                "the token is encrypted (a consumer account's): its expiry is unknown until "
                "the service refuses it",
            )
            return
        left = token.expires_in(self._now())
        if left is not None and left < EXPIRY_WARNING_SECONDS:
            when = token.expires.isoformat() if token.expires else ""
            self._say(
                f"expiry {when}", f"the token expires in {duration(left)}: copy a fresh one soon"
            )

    def _say(self, key: str, text: str) -> None:
        """Warn about ``text``, once per ``key``."""
        if key in self._warned:
            return
        self._warned.add(key)
        if self._warn is None:
            log.warning("%s", text)
        else:  # the caller says it (once: not also by logging's last-resort handler)
            log.debug("%s", text)
            self._warn(text)
