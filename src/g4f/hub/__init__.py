"""The local hub: a server that speaks ChatHub as Bing did, so everything runs offline.

Start it with ``g4f hub --port 8765``, in-process with :func:`running_hub`, or from sync code with
:class:`HubThread`. One app (:mod:`g4f.hub.server`) composes a side per service, each in its own
folder: Bing's (:mod:`g4f.hub.bing`; its scenarios are in :mod:`g4f.hub.bing.scenarios`) and
Microsoft 365 Copilot's (:mod:`g4f.hub.m365`; its scenarios are in :mod:`g4f.hub.m365.scripts`),
which accepts the unsigned tokens :func:`make_test_token` makes.

The hub is an independent check of the clients: it imports no client, engine or service
module — only the shared framing of :mod:`g4f.protocol` — and spells every literal it needs
itself, from the protocol references (:mod:`g4f.hub.bing.spec`, :mod:`g4f.hub.m365.spec`).
"""

from .bing import CREATE_SCENARIOS, TURN_SCENARIOS, BingHub
from .m365 import M365_SCENARIOS, M365Hub, make_encrypted_test_token, make_test_token
from .responder import Reply, Responder, TurnRequest, echo_responder
from .server import DEMO_PACE, Hub, HubConversation, running_hub
from .thread import HubThread

__all__ = [
    "CREATE_SCENARIOS",
    "DEMO_PACE",
    "M365_SCENARIOS",
    "TURN_SCENARIOS",
    "BingHub",
    "Hub",
    "HubConversation",
    "HubThread",
    "M365Hub",
    "Reply",
    "Responder",
    "TurnRequest",
    "echo_responder",
    "make_encrypted_test_token",
    "make_test_token",
    "running_hub",
]
