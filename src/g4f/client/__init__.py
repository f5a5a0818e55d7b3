"""The Python clients, re-exported from where they live (this package holds no code of its own):

- :class:`ChatHubClient`, the async ChatHub engine for any dialect (:mod:`g4f.engine`);
- :class:`BingClient` (Bing's 2023 ChatHub) and :class:`M365Client` (Microsoft 365 Copilot),
  the engine with each service's dialect (:mod:`g4f.services`);
- :class:`Client` / :class:`AsyncClient`, shaped like the openai package's (:mod:`g4f.openai`).
"""

from __future__ import annotations

from ..engine.backend import Backend, Capabilities
from ..engine.chathub import ChatHubClient
from ..engine.config import Limits, Timeouts
from ..engine.retry import NO_RETRY, RetryPolicy
from ..openai import AsyncClient, Client
from ..protocol.conversation import Conversation
from ..services.bing import ENV_COOKIES, ENV_URL, BingClient, Cookies, Endpoints
from ..services.m365.client import ENV_M365_URL, M365Client
from ..services.registry import SERVICES, backend_for, check_service, client_for

__all__ = [
    "ENV_COOKIES",
    "ENV_M365_URL",
    "ENV_URL",
    "NO_RETRY",
    "SERVICES",
    "AsyncClient",
    "Backend",
    "BingClient",
    "Capabilities",
    "ChatHubClient",
    "Client",
    "Conversation",
    "Cookies",
    "Endpoints",
    "Limits",
    "M365Client",
    "RetryPolicy",
    "Timeouts",
    "backend_for",
    "check_service",
    "client_for",
]
