"""How ``g4f api`` runs: settings only the operator sets (no FastAPI needed to read them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..client import Cookies, RetryPolicy, Timeouts

__all__ = ["ApiSettings"]


@dataclass(frozen=True)
class ApiSettings:
    """How the server runs. Only the operator sets these; callers of the API cannot.

    Attributes:
        url: the ChatHub server to use (``None``: ``$G4F_BING_URL``, then Bing).
        cookies: the operator's own Bing cookies.
        proxy: a proxy for the upstream connections.
        api_key: if set, requests need ``Authorization: Bearer <api_key>``.
        cors_origins: origins allowed by CORS (none by default).
        max_body_bytes: the largest request body accepted.
        max_messages: the most messages one request may carry.
        conversation_ttl: seconds a kept conversation lives after its last use.
        max_conversations: how many conversations are kept (the least recently used go first).
        timeouts: upstream timeouts.
        retry: how creating an upstream conversation retries transient failures.
        idle_websockets: upstream websockets kept open between the turns of kept
            conversations (a continued conversation then answers after one round trip).
    """

    url: str | None = None
    cookies: Cookies | None = field(default=None, repr=False)
    proxy: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1 << 20
    max_messages: int = 256
    conversation_ttl: float = 3600.0
    max_conversations: int = 1000
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    idle_websockets: int = 256
