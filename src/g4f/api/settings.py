"""How ``g4f api`` runs: settings only the operator sets (no FastAPI needed to read them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..engine.config import Timeouts
from ..engine.retry import RetryPolicy
from ..services.bing.cookies import Cookies
from ..services.registry import check_service

__all__ = ["ApiSettings"]


@dataclass(frozen=True)
class ApiSettings:
    """How the server runs. Only the operator sets these; callers of the API cannot.

    Attributes:
        service: ``"bing"`` (Bing's 2023 ChatHub) or ``"m365"`` (Microsoft 365 Copilot).
        url: the server to use (``None``: ``$G4F_BING_URL``, then Bing; for ``m365``,
            ``$G4F_M365_URL``, then ``https://substrate.office.com``).
        cookies: the operator's own Bing cookies.
        token: the operator's own Microsoft 365 Copilot token (else ``token_file``, else
            ``$M365_COPILOT_TOKEN``).
        token_file: a file holding it, re-read when it changes.
        proxy: a proxy for the upstream connections.
        api_key: if set, requests need ``Authorization: Bearer <api_key>``.
        cors_origins: origins allowed by CORS (none by default).
        max_body_bytes: the largest request body accepted.
        max_messages: the most messages one request may carry.
        conversation_ttl: seconds a kept conversation lives after its last use.
        max_conversations: how many conversations are kept (the least recently used go first).
        store: where conversations are kept: ``memory://`` (this default: one process, lost
            on restart), ``sqlite:///PATH`` (``g4f api``'s default) or ``redis://HOST:PORT/DB``.
        store_key: encrypts Bing's conversation signatures in the store (none: in clear).
        workers: processes serving one port (``g4f api --workers``; needs a shared store).
        timeouts: upstream timeouts.
        retry: how creating an upstream conversation retries transient failures.
        idle_websockets: upstream websockets kept open between the turns of kept
            conversations (a continued conversation then answers after one round trip).
        docs: serve ``/docs`` and ``/openapi.json`` (Swagger UI from the package's files; the
            schema behind the key).
        ui: serve the chat page at ``/`` (``g4f api --no-ui`` turns it off).
        max_connections: client connections served at once; more get 503.
        max_header_bytes: the largest request line and header block (431 past it).
        header_timeout: seconds a client has to send a request's headers.
        keep_alive: seconds an idle keep-alive connection stays open.
        ready_cache: seconds ``/ready`` reuses its last upstream check.
    """

    url: str | None = None
    cookies: Cookies | None = field(default=None, repr=False)
    service: str = "bing"
    token: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    proxy: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1 << 20
    max_messages: int = 256
    conversation_ttl: float = 3600.0
    max_conversations: int = 1000
    store: str = "memory://"
    store_key: str | None = field(default=None, repr=False)
    workers: int = 1
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    idle_websockets: int = 256
    docs: bool = False
    ui: bool = True
    max_connections: int = 1024
    max_header_bytes: int = 32 * 1024
    header_timeout: float = 10.0
    keep_alive: float = 5.0
    ready_cache: float = 10.0

    def __post_init__(self) -> None:
        check_service(self.service)
        for name in (
            "max_body_bytes",
            "max_messages",
            "max_conversations",
            "max_connections",
            "workers",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.idle_websockets < 1 or self.max_header_bytes < 1024:
            raise ValueError("idle_websockets must be >= 1 and max_header_bytes >= 1024")
        for name in ("conversation_ttl", "header_timeout", "keep_alive", "ready_cache"):
            value = getattr(self, name)
            if not 0 < value < float("inf"):
                raise ValueError(f"{name} must be a positive number of seconds")
