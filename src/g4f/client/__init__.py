"""The clients: :class:`ChatHubClient`, the async engine for any ChatHub service;
:class:`BingClient`, the same for Bing's 2023 ChatHub (conversations over HTTPS, turns over the
websocket); :class:`M365Client`, the same for Microsoft 365 Copilot; and :class:`Client` /
:class:`AsyncClient`, shaped like the openai package's (they live in :mod:`g4f.openai` and are
re-exported here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..protocol.conversation import Conversation
from ..services import ENV_COOKIES, ENV_URL, Cookies, Endpoints
from .client import BingClient, ChatHubClient
from .config import Limits, Timeouts
from .m365 import ENV_M365_URL, M365Client
from .retry import NO_RETRY, RetryPolicy
from .services import SERVICES, check_service, client_for

if TYPE_CHECKING:
    from ..openai import AsyncClient, Client

__all__ = [
    "ENV_COOKIES",
    "ENV_M365_URL",
    "ENV_URL",
    "NO_RETRY",
    "SERVICES",
    "AsyncClient",
    "BingClient",
    "ChatHubClient",
    "Client",
    "Conversation",
    "Cookies",
    "Endpoints",
    "Limits",
    "M365Client",
    "RetryPolicy",
    "Timeouts",
    "check_service",
    "client_for",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: g4f.openai is built on this package, so importing it here eagerly
    # would make `import g4f.openai` (before g4f.client) a circular import.
    if name in ("AsyncClient", "Client"):
        from .. import openai

        return getattr(openai, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
