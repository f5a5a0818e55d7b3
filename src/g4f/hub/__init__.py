"""The local hub: a server that speaks ChatHub as Bing did, so everything runs offline.

Start it with ``g4f hub --port 8765``, in-process with :func:`running_hub`, or from sync code with
:class:`HubThread`. Scenarios (:mod:`g4f.hub.scenarios`) make it play every situation the real
service produced. It serves Microsoft 365 Copilot's Chathub at the same time
(:mod:`g4f.hub.m365`; its scenarios are in :mod:`g4f.hub.m365_scripts`), accepting the unsigned
tokens :func:`make_test_token` makes.
"""

from .m365 import M365Hub, make_test_token
from .m365_scripts import M365_SCENARIOS
from .responder import Reply, Responder, TurnRequest, echo_responder
from .scenarios import CREATE_SCENARIOS, TURN_SCENARIOS
from .server import Hub, HubConversation, running_hub
from .thread import HubThread

__all__ = [
    "CREATE_SCENARIOS",
    "M365_SCENARIOS",
    "TURN_SCENARIOS",
    "Hub",
    "HubConversation",
    "HubThread",
    "M365Hub",
    "Reply",
    "Responder",
    "TurnRequest",
    "echo_responder",
    "make_test_token",
    "running_hub",
]
