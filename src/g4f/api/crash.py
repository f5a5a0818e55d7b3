"""A crash of ``g4f api`` leaves a line in its log.

A fatal signal (SIGSEGV, SIGBUS — e.g. when SQLite's ``-shm`` file becomes unwritable under its
memory map — SIGFPE, SIGABRT, SIGILL) kills the process before any Python handler runs; with
:mod:`faulthandler` enabled, Python writes "Fatal Python error: …" and every thread's traceback to
standard error first, so the operator learns what died and where.
"""

from __future__ import annotations

import faulthandler
import sys

__all__ = ["enable_crash_reports"]


def enable_crash_reports() -> None:
    """Enable :mod:`faulthandler` on standard error (every thread), unless it already is (e.g.
    by ``python -X faulthandler`` or ``PYTHONFAULTHANDLER``, which may name another file)."""
    if not faulthandler.is_enabled():
        faulthandler.enable(file=sys.stderr, all_threads=True)
