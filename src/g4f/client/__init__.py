"""The clients: :class:`BingClient`, the async engine (conversations over HTTPS, turns over the
ChatHub websocket), and :class:`Client` / :class:`AsyncClient`, shaped like the openai package's.
"""

from .chat import AsyncClient, Client
from .client import BingClient
from .config import ENV_URL, Endpoints, Timeouts
from .conversation import Conversation
from .cookies import ENV_COOKIES, Cookies
from .retry import NO_RETRY, RetryPolicy

__all__ = [
    "ENV_COOKIES",
    "ENV_URL",
    "NO_RETRY",
    "AsyncClient",
    "BingClient",
    "Client",
    "Conversation",
    "Cookies",
    "Endpoints",
    "RetryPolicy",
    "Timeouts",
]
