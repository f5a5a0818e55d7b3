"""What the API's upstream tells its operator before a turn (a token about to expire, an
encrypted one whose expiry is unknown, a token file others can read), logged.

:func:`log_upstream_warning` is what ``g4f api`` passes as the ``warn`` option of a service
whose entry takes one: a module-level function, so that worker processes can be given it.
"""

from __future__ import annotations

import logging

__all__ = ["log_upstream_warning"]

log = logging.getLogger(__name__)


def log_upstream_warning(text: str) -> None:
    """Log ``text`` (never a credential: the services say what, not the token) as a warning."""
    log.warning("upstream: %s", text)
