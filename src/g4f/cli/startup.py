"""What stops a ``g4f`` command from starting — a missing extra, a busy port, a file it cannot
write — reported before anything runs, with exit status :data:`EXIT_STARTUP` (78, EX_CONFIG):
distinct from an error of the service (1 and the table's codes) and from bad usage (2)."""

from __future__ import annotations

import errno
import importlib
import os
import socket
from pathlib import Path
from types import ModuleType

__all__ = ["EXIT_STARTUP", "StartupError", "api_server", "check_writable", "explain_listen"]

EXIT_STARTUP = 78  # EX_CONFIG
"""The exit status of a command that could not start (see :class:`StartupError`)."""


class StartupError(Exception):
    """The command could not start; the message says what to do."""


def api_server() -> ModuleType:
    """:mod:`g4f.api.server`; a :class:`StartupError` naming the extra when its packages are
    missing (``pip install 'g4f-bing[api]'``)."""
    try:
        return importlib.import_module("g4f.api.server")
    except ImportError as exc:
        missing = f" ({exc})" if exc.name else ""
        raise StartupError(
            f"`g4f api` needs the api extra{missing}: install it with "
            "python -m pip install 'g4f-bing[api]' (from a checkout: python -m pip install "
            "'.[api]')"
        ) from None


def explain_listen(exc: OSError, host: str, port: int) -> StartupError:
    """A :class:`StartupError` for a port that cannot be listened on (a busy one suggests
    ``--port 0``, which picks a free one)."""
    text = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    if exc.errno == errno.EADDRINUSE or "in use" in str(exc):
        text += "; another program has that port: choose another, or --port 0 picks a free one"
    return StartupError(text)


def listen(host: str, port: int) -> socket.socket:
    """``g4f api``'s listening socket (:func:`g4f.api.server.listen`), or a
    :class:`StartupError` saying why not."""
    try:
        made: socket.socket = api_server().listen(host, port)
    except OSError as exc:
        raise explain_listen(exc, host, port) from None
    return made


def check_writable(path: Path, what: str) -> None:
    """A :class:`StartupError` unless ``path`` can be written (appended to, or created in its
    directory): checked before anything runs, not after the answer."""
    if path.exists():
        writable = path.is_file() and os.access(path, os.W_OK)
    else:
        writable = path.parent.is_dir() and os.access(path.parent, os.W_OK | os.X_OK)
    if not writable:
        reason = "its directory does not exist" if not path.parent.is_dir() else "not writable"
        raise StartupError(f"cannot write {what} {path}: {reason}")
