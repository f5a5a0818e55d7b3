"""``g4f token [FILE]``: what a Microsoft 365 Copilot token, or a websocket URL pasted from the
browser, holds — user, tenant, audience, expiry, account kind, host — and what is wrong with it,
without ever printing it (M365-CHATHUB.md §1).

Where the text comes from: ``FILE`` (``-`` is standard input), else standard input when it is
not a terminal and not empty, else ``$M365_COPILOT_TOKEN``. A file is read as ``--token-file``
reads it (a regular file or an inherited pipe such as ``<(…)``, at most 64 KiB); a token file
others can read is warned about, as ssh warns about a private key.

Exit status (:data:`TOKEN_EXIT`): 0 nothing wrong found, 1 usable but with a problem (it expires
within five minutes, a wrong audience, a file others can read), 5 not usable (unreadable,
malformed, expired: as ``g4f chat``'s ``NotAuthorized``), 2 no token given.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, TextIO

from .. import errors
from ..services.m365 import pipe
from ..services.m365.pipe import read_pipe
from ..services.m365.report import TokenReport, describe_token
from ..services.m365.token import ENV_TOKEN, read_token_file

if TYPE_CHECKING:  # generic only in typeshed
    _Commands = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["TOKEN_EXIT", "add_token_parser", "check_token", "token_command"]

TOKEN_EXIT: Mapping[str, int] = MappingProxyType({"ok": 0, "problem": 1, "usage": 2, "unusable": 5})
"""``g4f token``'s exit status by verdict (docs/m365.md's list)."""


def add_token_parser(commands: _Commands) -> None:
    """The ``token`` sub-command's parser."""
    token = commands.add_parser(
        "token",
        help="show what a Microsoft 365 Copilot token or pasted websocket URL holds (never it)",
        description=(
            "Show the user, tenant, audience, expiry, account kind and host of a Microsoft 365 "
            "Copilot token, or of the whole Chathub websocket URL copied from the browser, and "
            "what is wrong with it; the token itself is never printed. Reads FILE ('-': standard "
            f"input), else standard input when it is piped, else ${ENV_TOKEN}. Exit status: 0 "
            "nothing wrong, 1 usable with a problem, 5 not usable, 2 no token given."
        ),
    )
    token.add_argument("file", nargs="?", metavar="FILE", help="a token file ('-': stdin)")


def _read_stdin(stdin: TextIO, limit: int = 64 * 1024 + 1) -> str:
    """Standard input's text; a pipe's within :data:`~g4f.services.m365.pipe.PIPE_SECONDS`
    (``ValueError`` when it gave nothing by then: its writer may never write nor close)."""
    try:
        fd = stdin.fileno()
        piped = stat.S_ISFIFO(os.fstat(fd).st_mode)
    except (AttributeError, OSError, ValueError):  # no descriptor (a StringIO)
        piped = False
    if not piped:
        return stdin.read(limit)
    data = read_pipe(fd, limit, pipe.PIPE_SECONDS)
    if data is None:
        raise ValueError(f"standard input gave no token within {pipe.PIPE_SECONDS:g} s")
    return data.decode("utf-8", errors="replace")


def _read(
    file: str | None, stdin: TextIO, environ: Mapping[str, str]
) -> tuple[str, str, int | None]:
    """The text to check, where it came from, and a regular file's mode; ``ValueError`` when
    nothing was given, :class:`~g4f.errors.NotAuthorized` for a file that cannot be read."""
    if file is not None and file != "-":
        path = Path(file).expanduser()
        text, status = read_token_file(path)
        mode = status.st_mode if stat.S_ISREG(status.st_mode) else None
        return text, str(path), mode
    if file == "-" or (stdin is not None and not stdin.isatty()):
        text = _read_stdin(stdin) if stdin is not None else ""
        if text.strip() or file == "-":
            return text, "standard input", None
    from_env = environ.get(ENV_TOKEN, "").strip()
    if from_env:
        return from_env, f"${ENV_TOKEN}", None
    raise ValueError(
        f"no token: give a FILE, pipe the token (or the websocket URL) in, or set ${ENV_TOKEN}"
    )


def check_token(
    text: str, *, file_mode: int | None = None, now: float | None = None
) -> tuple[TokenReport, str]:
    """The report on ``text`` and its verdict (a key of :data:`TOKEN_EXIT`)."""
    moment = time.time() if now is None else now
    report = describe_token(text, file_mode=file_mode, now=moment)
    expired = report.expires is not None and report.expires.timestamp() <= moment
    if report.oid is None or expired:
        return report, "unusable"
    return report, "problem" if report.problems else "ok"


def token_command(
    args: argparse.Namespace,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run ``g4f token``; returns its exit status (:data:`TOKEN_EXIT`)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        text, source, mode = _read(
            args.file, stdin or sys.stdin, os.environ if environ is None else environ
        )
    except ValueError as exc:
        err.write(f"g4f: error: {exc}\n")
        return TOKEN_EXIT["usage"]
    except errors.NotAuthorized as exc:
        err.write(f"g4f: error: {exc}\n")
        return TOKEN_EXIT["unusable"]
    report, verdict = check_token(text, file_mode=mode)
    out.write(f"source:   {source}\n")
    out.write("".join(line + "\n" for line in report.lines()))
    out.flush()
    label = "error" if verdict == "unusable" else "warning"
    for problem in report.problems:
        err.write(f"g4f: {label}: {problem}\n")
    if verdict == "unusable":
        err.write("g4f: error: this token cannot be used: copy a fresh one from your browser\n")
    err.flush()
    return TOKEN_EXIT[verdict]
