"""Whether another installed distribution owns files in the ``g4f`` import package.

gpt4free's distribution is also named ``g4f`` and installs the same import package: installing
one over the other overwrites its files without a word, and uninstalling either breaks the
other. The import name must stay (it is the seed's API), so the command says so instead.
"""

from __future__ import annotations

import importlib.metadata
import re

__all__ = ["OURS", "gpt4free_owner", "other_owners", "ownership_warning"]

OURS = "g4f-bing"
"""This project's distribution name."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def other_owners() -> list[str]:
    """``name version`` of each installed distribution but ours that lists files under
    ``g4f/`` (read from the installed metadata; nothing is imported)."""
    found = []
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] or ""
        if not name or _canonical(name) == OURS:
            continue
        if any(str(path).replace("\\", "/").startswith("g4f/") for path in dist.files or ()):
            found.append(f"{name} {dist.version}")
    return sorted(set(found))


def gpt4free_owner() -> list[str]:
    """``name version`` of gpt4free's distribution (named ``g4f``) when it is installed and
    lists files under ``g4f/``: the quick check every command makes (one look-up by name, not
    a read of every distribution's files)."""
    try:
        dist = importlib.metadata.distribution("g4f")
    except importlib.metadata.PackageNotFoundError:
        return []
    owns = any(str(path).replace("\\", "/").startswith("g4f/") for path in dist.files or ())
    return [f"{dist.metadata['Name']} {dist.version}"] if owns else []


def ownership_warning(thorough: bool = True) -> str | None:
    """The warning to show when another distribution owns files in ``g4f``, else ``None``;
    ``thorough`` reads every installed distribution's file list (``g4f --version``), else
    only gpt4free's is looked for."""
    others = other_owners() if thorough else gpt4free_owner()
    if not others:
        return None
    return (
        f"g4f: warning: {', '.join(others)} also installs the g4f import package (gpt4free "
        f"uses that name too): its files and {OURS}'s overwrite each other, and uninstalling "
        "either breaks the other. Use a separate virtual environment for each."
    )
