"""The local hub: a server that speaks ChatHub as Bing did, so everything runs offline.

Start it with ``g4f hub --port 8765``, in-process with :func:`running_hub`, or from sync code with
:class:`HubThread`. Scenarios (:mod:`g4f.hub.scenarios`) make it play every situation the real
service produced.
"""

from .responder import Reply, Responder, TurnRequest, echo_responder
from .scenarios import CREATE_SCENARIOS, TURN_SCENARIOS
from .server import Hub, HubConversation, running_hub
from .thread import HubThread

__all__ = [
    "CREATE_SCENARIOS",
    "TURN_SCENARIOS",
    "Hub",
    "HubConversation",
    "HubThread",
    "Reply",
    "Responder",
    "TurnRequest",
    "echo_responder",
    "running_hub",
]
