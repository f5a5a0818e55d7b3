"""The hub's conversation tables: kept in creation order, each conversation living as long."""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["forget_old"]


class _Expiring(Protocol):
    @property
    def expires_at(self) -> float: ...


T = TypeVar("T", bound=_Expiring)


def forget_old(table: dict[str, T], now: float, cap: int) -> None:
    """Drop the expired conversations of ``table``, and the oldest while it holds ``cap`` or more
    (room for one more). The table is in creation order and every conversation lives as long,
    so the expired ones are at its front: this looks at no more than it drops, plus one."""
    while table:
        key = next(iter(table))
        if table[key].expires_at > now and len(table) < cap:
            return
        del table[key]
