"""``g4f api --local``: the API and its chat page in front of an in-process hub, so a newcomer
sees the page work offline with one command (the hub's paced demo answers show the streaming)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hub import Hub, HubThread
from ..hub.server import DEMO_PACE
from ..services.spec import ServiceEntry

__all__ = ["start_local_hub"]


def start_local_hub(service: ServiceEntry) -> tuple[HubThread, Mapping[str, Any]]:
    """Start a demo hub in a thread; it and the options that point ``service``'s backend at it
    (its URL, and for a service with credentials, a test token the hub accepts: the user's own
    is never sent to it). The hub serves until the process ends."""
    hub = HubThread(Hub(pace=DEMO_PACE))
    return hub, service.local_options(hub.start())
