"""Which client serves which service, by the name surfaces use (``--service``, ``service=``)."""

from __future__ import annotations

from typing import Any

from .client import BingClient, ChatHubClient
from .m365 import M365Client

__all__ = ["SERVICES", "check_service", "client_for"]

SERVICES = ("bing", "m365")
"""The services by name: Bing's 2023 ChatHub (the default), Microsoft 365 Copilot's Chathub."""

_CLIENTS: dict[str, type[ChatHubClient]] = {"bing": BingClient, "m365": M365Client}


def check_service(service: str) -> str:
    """``service`` if it names one, else ``ValueError`` listing them."""
    if service not in SERVICES:
        raise ValueError(f"service must be one of {', '.join(SERVICES)}, not {service!r}")
    return service


def client_for(service: str, **options: Any) -> ChatHubClient:
    """The client of ``service`` (:class:`BingClient` or :class:`M365Client`) with ``options``."""
    client: ChatHubClient = _CLIENTS[check_service(service)](**options)
    return client
