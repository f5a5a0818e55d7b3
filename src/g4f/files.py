"""Files holding a user's words or credentials (a saved conversation, the input history, the
sign-in's state and token cache): readable by the user only, written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["private_dir", "write_private"]


def private_dir(directory: Path) -> Path:
    """``directory``, created (with its parents) if missing; the one this creates is the
    owner's only (mode 0700), as the private files it holds are. A directory that exists is
    left as it is (it may be the user's own, or ``/tmp``). Returns ``directory``."""
    if not directory.is_dir():
        directory.parent.mkdir(parents=True, exist_ok=True)
        directory.mkdir(mode=0o700, exist_ok=True)
        directory.chmod(0o700)  # whatever the umask
    return directory


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (its folder must exist), readable and writable by its owner
    only (mode 0600) and atomically: a reader sees the old text or the new, never a part, and
    a failed write leaves the old file as it was."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
