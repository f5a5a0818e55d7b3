"""The async engine: create conversations over HTTPS and run turns over the ChatHub websocket."""

from .client import BingClient
from .config import ENV_URL, Endpoints, Timeouts
from .conversation import Conversation

__all__ = ["ENV_URL", "BingClient", "Conversation", "Endpoints", "Timeouts"]
