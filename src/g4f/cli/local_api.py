"""``g4f api --local``: the API and its chat page in front of an in-process hub, so a newcomer
sees the page work offline with one command (the hub's paced demo answers show the streaming)."""

from __future__ import annotations

import argparse

from ..hub import Hub, HubThread, make_test_token
from ..hub.server import DEMO_PACE

__all__ = ["start_local_hub"]


def start_local_hub(args: argparse.Namespace) -> HubThread:
    """Start a demo hub in a thread and point ``args`` at it: ``--url``, and a test token the
    hub accepts in ``args.token`` for Microsoft 365 Copilot (the user's own is never sent to
    it). The hub serves until the process ends."""
    hub = HubThread(Hub(pace=DEMO_PACE))
    args.url = hub.start()
    args.token = make_test_token()  # only Microsoft 365 Copilot's side asks for one
    args.local_hub = hub  # referenced as long as the command runs
    return hub
