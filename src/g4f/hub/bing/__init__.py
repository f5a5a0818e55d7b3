"""The hub's Bing side (CHATHUB.md): the create, the ChatHub websocket, their scenarios
(:mod:`g4f.hub.bing.scenarios`) and records (:mod:`g4f.hub.bing.records`), with every literal
spelled from the reference in :mod:`g4f.hub.bing.spec`."""

from .scenarios import CREATE_SCENARIOS, TURN_SCENARIOS
from .side import CREATE_SHAPES, BingHub, HubConversation
from .spec import DEFAULT_MAX_TURNS

__all__ = [
    "CREATE_SCENARIOS",
    "CREATE_SHAPES",
    "DEFAULT_MAX_TURNS",
    "TURN_SCENARIOS",
    "BingHub",
    "HubConversation",
]
