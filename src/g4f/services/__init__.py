"""The services that speak ChatHub, behind one seam (:class:`Service`).

A new service is a new module here implementing :class:`Service`; the client, the surfaces and
the error policy stay as they are. Today: :class:`BingService`, Bing's 2023 ChatHub.
"""

from .base import HttpGet, HttpResponse, Service, Turn
from .bing import ENV_URL, BingService, Endpoints
from .cookies import ENV_COOKIES, Cookies

__all__ = [
    "ENV_COOKIES",
    "ENV_URL",
    "BingService",
    "Cookies",
    "Endpoints",
    "HttpGet",
    "HttpResponse",
    "Service",
    "Turn",
]
