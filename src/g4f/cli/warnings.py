"""What a service tells the user before a turn (a token about to expire, …), on stderr as
``g4f: warning: …``: given as the ``warn`` option to every service whose registry entry takes
one (no service is named here)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..services.spec import ServiceEntry

__all__ = ["WARN_OPTION", "print_warning", "with_warn"]

WARN_OPTION = "warn"
"""The keyword a service's backend takes for a callback told what the user should know."""


def print_warning(text: str) -> None:
    """``g4f: warning: TEXT`` on stderr."""
    sys.stderr.write(f"g4f: warning: {text}\n")
    sys.stderr.flush()


def with_warn(
    chosen: ServiceEntry, options: dict[str, Any], warn: Callable[[str], None] = print_warning
) -> dict[str, Any]:
    """``options`` with ``warn`` added when ``chosen`` takes it (unchanged otherwise)."""
    if WARN_OPTION in chosen.accepts:
        return {**options, WARN_OPTION: warn}
    return options
