"""The async engine: create conversations over HTTPS and run turns over the ChatHub websocket."""

from .client import BingClient
from .config import ENV_URL, Endpoints, Timeouts
from .conversation import Conversation
from .cookies import ENV_COOKIES, Cookies
from .retry import NO_RETRY, RetryPolicy

__all__ = [
    "ENV_COOKIES",
    "ENV_URL",
    "NO_RETRY",
    "BingClient",
    "Conversation",
    "Cookies",
    "Endpoints",
    "RetryPolicy",
    "Timeouts",
]
