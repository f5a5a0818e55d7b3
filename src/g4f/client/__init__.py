"""The clients: :class:`ChatHubClient`, the async engine for any ChatHub service;
:class:`BingClient`, the same for Bing's 2023 ChatHub (conversations over HTTPS, turns over the
websocket); and :class:`Client` / :class:`AsyncClient`, shaped like the openai package's (they
live in :mod:`g4f.openai` and are re-exported here).
"""

from ..openai import AsyncClient, Client
from ..protocol.conversation import Conversation
from ..services import ENV_COOKIES, ENV_URL, Cookies, Endpoints
from .client import BingClient, ChatHubClient
from .config import Limits, Timeouts
from .retry import NO_RETRY, RetryPolicy

__all__ = [
    "ENV_COOKIES",
    "ENV_URL",
    "NO_RETRY",
    "AsyncClient",
    "BingClient",
    "ChatHubClient",
    "Client",
    "Conversation",
    "Cookies",
    "Endpoints",
    "Limits",
    "RetryPolicy",
    "Timeouts",
]
