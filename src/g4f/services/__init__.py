"""The services that speak ChatHub, behind one seam (:class:`Service`).

A new service is a new module here implementing :class:`Service`; the client, the surfaces and
the error policy stay as they are. Today: :class:`BingService`, Bing's 2023 ChatHub, and
:class:`~g4f.services.m365.M365Service`, Microsoft 365 Copilot's Chathub.
"""

from .base import HttpGet, HttpPost, HttpResponse, Service, Turn
from .bing import ENV_URL, BingService, Endpoints
from .cookies import ENV_COOKIES, Cookies
from .images import Image

__all__ = [
    "ENV_COOKIES",
    "ENV_URL",
    "BingService",
    "Cookies",
    "Endpoints",
    "HttpGet",
    "HttpPost",
    "HttpResponse",
    "Image",
    "Service",
    "Turn",
]
