"""What the client sends on a ChatHub websocket, as small immutable values.

:meth:`Connection.send <g4f.protocol.connection.Connection.send>` takes one of these, moves its
state machine and returns the text to send (as h11's ``send()`` turns events into bytes). The
records inside are built elsewhere: Bing's invocation by ``build_invocation``, a service's stop
record by the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = ["Invocation", "KeepAlive", "Outgoing", "Stop"]


@dataclass(frozen=True, slots=True)
class Invocation:
    """Start a turn: the invocation ``record`` and ``extra`` records that travel in the same
    websocket message (e.g. Microsoft 365's ``Metrics``)."""

    record: Mapping[str, Any]
    extra: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(cls, records: Sequence[Mapping[str, Any]]) -> Invocation:
        """A turn's records, the invocation first, as one :class:`Invocation`.

        >>> Invocation.of([{"type": 4}, {"type": 1}])
        Invocation(record={'type': 4}, extra=({'type': 1},))
        """
        if not records:
            raise ValueError("a turn needs its invocation record")
        return cls(records[0], tuple(records[1:]))


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop the answer that is streaming, with the service's stop ``record``."""

    record: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """A keep-alive ping (type 6): the client's own, and its answer to the server's pings."""


Outgoing: TypeAlias = Invocation | Stop | KeepAlive
"""Everything :meth:`~g4f.protocol.connection.Connection.send` takes."""
