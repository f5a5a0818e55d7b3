"""The services, each in a folder of its own, listed once in :mod:`.registry`:
:mod:`.bing` (Bing's 2023 ChatHub) and :mod:`.m365` (Microsoft 365 Copilot's Chathub), both
ChatHub dialects run by the engine (:mod:`g4f.engine`).

A new service is a new folder here with its entry (:class:`~.spec.ServiceEntry`) and one line in
the registry; the surfaces read the registry.
"""

from ..engine.dialect import ChatHubDialect, HttpGet, HttpPost, HttpResponse, Turn
from ..engine.images import Image
from .bing import ENV_COOKIES, ENV_URL, BingDialect, Cookies, Endpoints
from .registry import DEFAULT_SERVICE, REGISTRY, SERVICES, backend_for, entry
from .spec import Model, ServiceEntry, ServiceOption

__all__ = [
    "DEFAULT_SERVICE",
    "ENV_COOKIES",
    "ENV_URL",
    "REGISTRY",
    "SERVICES",
    "BingDialect",
    "ChatHubDialect",
    "Cookies",
    "Endpoints",
    "HttpGet",
    "HttpPost",
    "HttpResponse",
    "Image",
    "Model",
    "ServiceEntry",
    "ServiceOption",
    "Turn",
    "backend_for",
    "entry",
]
