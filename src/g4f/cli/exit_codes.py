"""The ``g4f`` command's exit status per error class: one table, read along the class's MRO.

The codes are docs/errors.md's (its table); what an error *means* is on its class
(:mod:`g4f.errors`), how this surface says it is here. A class the table does not name has its
nearest base's code; an error without a code of its own exits 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .. import errors

__all__ = ["EXIT_CODES", "exit_code_for"]

EXIT_CODES: Mapping[type[errors.G4FError], int] = MappingProxyType(
    {
        errors.G4FError: 1,
        errors.RateLimited: 3,
        errors.ChallengeRequired: 4,
        errors.NotAuthorized: 5,
        errors.AccessDenied: 5,
        errors.ConversationExpired: 6,
        errors.ConversationInvalid: 6,
        errors.Busy: 7,
        errors.TimeoutException: 8,  # ConnectTimeout, ResponseTimeout, TurnTimeout
        errors.NetworkError: 9,  # ConnectError, ConnectionClosed
        errors.ProtocolError: 10,
        errors.ServerError: 11,
        errors.Refused: 12,
        errors.UnknownTone: 13,
    }
)
"""Exit status per error class; 0, 2, 70, 130 and 141 are the command's own (success, bad
usage, an internal error, interrupted, a closed stdout) and never an error class's."""


def exit_code_for(error: errors.G4FError) -> int:
    """The documented exit status for ``error`` (:data:`EXIT_CODES`).

    >>> exit_code_for(errors.ConnectError("refused")), exit_code_for(errors.Busy("running"))
    (9, 7)
    """
    return errors.lookup(EXIT_CODES, error)
