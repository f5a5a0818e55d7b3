"""Where the Chat API's bearer token comes from: given, a file re-read when it changes, or the
sign-in of ``g4f login`` (:mod:`g4f.services.chatapi.signin`). Never logged, shown or written."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from ...errors import NotAuthorized
from ..m365.token import file_signature, is_proc_fd, read_token_file_if_changed

__all__ = ["CallableToken", "StaticToken", "TokenFile", "TokenProvider"]


@runtime_checkable
class TokenProvider(Protocol):
    """A source of access tokens for one host. :meth:`token` may block (a sign-in renews it
    over the network): the client calls it in a thread."""

    advice: str
    """What to do when the service refuses its token (HTTP 401)."""

    def token(self) -> str:
        """A current access token; :class:`~g4f.errors.NotAuthorized` when there is none."""
        ...


class StaticToken:
    """A token given as it is."""

    advice = "the token is expired, or for another host: get a fresh one for this host"

    def __init__(self, token: str) -> None:
        token = token.strip()
        if not token or any(c.isspace() for c in token):
            raise NotAuthorized("the token is empty or holds spaces", advice=self.advice)
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"

    def token(self) -> str:
        """The token."""
        return self._token


class TokenFile:
    """A file holding a bearer token alone, re-read when it changes; read as Microsoft 365's
    token file is (:func:`~g4f.services.m365.token.read_token_file`: a regular file or an
    inherited pipe, read once; a size cap; UTF-8)."""

    def __init__(self, path: str | os.PathLike[str], login: str = "g4f login") -> None:
        self.path = Path(path).expanduser()
        self.advice = (
            f"the token file {self.path} is stale: put a fresh token in it, or run `{login}`"
        )
        self._seen: tuple[tuple[int, ...], str] | None = None
        # Turns read it from worker threads: two first reads of a pipe would split its text.
        self._reading = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenFile({str(self.path)!r})"

    def token(self) -> str:
        """The file's token, read again when the file changed (inode, size, times)."""
        with self._reading:
            if self._seen is None or not is_proc_fd(self.path):  # a pipe is read once
                self._read_if_changed()
            assert self._seen is not None
            token = self._seen[1]
        if not token or any(c.isspace() for c in token):
            raise NotAuthorized(f"the token file {self.path} holds no token", advice=self.advice)
        return token

    def _read_if_changed(self) -> None:
        seen = self._seen[0] if self._seen is not None else None
        read = read_token_file_if_changed(self.path, seen, self.advice)
        if read is not None:
            text, status = read
            self._seen = (file_signature(status), text.strip())


class CallableToken:
    """Tokens from a function (e.g. a caller's own MSAL application)."""

    advice = "the token the function gave was refused: check it is for this host"

    def __init__(self, function: Callable[[], str]) -> None:
        self._function = function

    def __repr__(self) -> str:
        return "CallableToken(<function>)"

    def token(self) -> str:
        """The function's token."""
        return self._function()
