"""How ``g4f api`` runs: settings only the operator sets (no FastAPI needed to read them).

:class:`ApiSettings` is the whole, in three parts and a few server-wide fields: the
:class:`Upstream` (which service, and how to reach it: its own options as its registry entry
takes them), the :class:`HttpLimits` (what one client may send and hold) and the
:class:`StoreSettings` (where conversations are kept).

Example::

    ApiSettings(
        upstream=Upstream(url="http://127.0.0.1:8765"),
        http=HttpLimits(max_body_bytes=64 * 1024),
        store=StoreSettings("sqlite:///conversations.sqlite3", ttl=600),
        api_key="secret",
    )
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.backend import Backend
from ..engine.config import Timeouts
from ..engine.retry import RetryPolicy
from ..services.registry import DEFAULT_SERVICE, REGISTRY, backend_for, entry

__all__ = ["ApiSettings", "HttpLimits", "StoreSettings", "Upstream"]

IDLE_OPTION = "max_idle_connections"
"""The backend option :attr:`Upstream.idle_websockets` goes to, for a service that takes it."""


def _positive(owner: object, *names: str, least: int = 1) -> None:
    for name in names:
        if getattr(owner, name) < least:
            raise ValueError(f"{name} must be at least {least}")


def _seconds(owner: object, *names: str) -> None:
    for name in names:
        if not 0 < getattr(owner, name) < float("inf"):
            raise ValueError(f"{name} must be a positive number of seconds")


@dataclass(frozen=True)
class Upstream:
    """The service the server talks to, and how. Callers of the API cannot change any of it.

    Attributes:
        service: a service of the registry (:data:`~g4f.services.registry.SERVICES`):
            ``"bing"`` (Bing's 2023 ChatHub, the default) or ``"m365"`` (Microsoft 365 Copilot).
        url: the server to use (``None``: the service's environment variable, then its own
            hosts: ``$G4F_BING_URL`` then Bing; ``$G4F_M365_URL`` then
            ``https://substrate.office.com``).
        proxy: a proxy for the upstream connections.
        timeouts: upstream timeouts.
        retry: how creating an upstream conversation retries transient failures.
        idle_websockets: upstream websockets kept open between the turns of kept
            conversations (a continued conversation then answers after one round trip), for a
            service that keeps them.
        options: the service's own options, as its registry entry takes them (its
            ``accepts``): the operator's Bing ``cookies``; the Microsoft 365 Copilot ``token``
            or ``token_file`` (re-read when it changes; else ``$M365_COPILOT_TOKEN``). An option
            the service does not take is a ``ValueError`` naming it.
    """

    service: str = DEFAULT_SERVICE
    url: str | None = None
    proxy: str | None = field(default=None, repr=False)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    idle_websockets: int = 256
    options: Mapping[str, Any] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        taken = entry(self.service).accepts  # a ValueError listing the services
        _positive(self, "idle_websockets")
        given = {name: value for name, value in self.options.items() if value is not None}
        unknown = sorted(set(given) - taken)
        if unknown:
            raise ValueError(f"the {self.service} service does not take {', '.join(unknown)}")
        object.__setattr__(self, "options", given)

    @classmethod
    def of(cls, service: str = DEFAULT_SERVICE, **given: Any) -> Upstream:
        """The upstream of ``service`` from flat options: this class's fields, and the
        services' own options, of which those ``service`` takes are kept and another service's
        are left out (as ``None`` values are); a name no service takes is a ``ValueError``.

        >>> Upstream.of("m365", url="http://127.0.0.1:8765", cookies=None, token="t").options
        {'token': 't'}
        """
        own = {f.name for f in dataclasses.fields(cls)} - {"service", "options"}
        given = {name: value for name, value in given.items() if value is not None}
        chosen = {name: value for name, value in given.items() if name in own}
        rest = {name: value for name, value in given.items() if name not in own}
        known = frozenset().union(*(e.accepts for e in REGISTRY.values()))
        unknown = sorted(set(rest) - known)
        if unknown:
            raise ValueError(f"no service takes {', '.join(unknown)}")
        taken = entry(service).accepts
        options = {name: value for name, value in rest.items() if name in taken}
        return cls(service, **chosen, options=options)

    def backend(self) -> Backend:
        """A new backend of the service with these options, built through the registry."""
        common: dict[str, Any] = {
            "url": self.url,
            "proxy": self.proxy,
            "timeouts": self.timeouts,
            "retry": self.retry,
        }
        if IDLE_OPTION in entry(self.service).accepts:
            common[IDLE_OPTION] = self.idle_websockets
        return backend_for(self.service, **common, **self.options)


@dataclass(frozen=True)
class HttpLimits:
    """What one client may send and hold.

    Attributes:
        max_body_bytes: the largest request body accepted (413 past it).
        max_messages: the most messages one request may carry.
        max_connections: client connections served at once; more get 503.
        max_header_bytes: the largest request line and header block (431 past it).
        header_timeout: seconds a client has to send a request's headers (408 past it).
        keep_alive: seconds an idle keep-alive connection stays open.
    """

    max_body_bytes: int = 1 << 20
    max_messages: int = 256
    max_connections: int = 1024
    max_header_bytes: int = 32 * 1024
    header_timeout: float = 10.0
    keep_alive: float = 5.0

    def __post_init__(self) -> None:
        _positive(self, "max_body_bytes", "max_messages", "max_connections")
        _positive(self, "max_header_bytes", least=1024)
        _seconds(self, "header_timeout", "keep_alive")


@dataclass(frozen=True)
class StoreSettings:
    """Where conversations are kept between requests (``conversation_id``).

    Attributes:
        url: ``memory://`` (this default: one process, lost on restart), ``sqlite:///PATH``
            (``g4f api``'s default) or ``redis://HOST:PORT/DB``.
        key: encrypts the credentials a service's conversations hold (Bing's conversation
            signatures) in the store (none: in clear).
        ttl: seconds a kept conversation lives after its last use.
        cap: how many conversations are kept (the least recently used go first).
    """

    url: str = "memory://"
    key: str | None = field(default=None, repr=False)
    ttl: float = 3600.0
    cap: int = 1000

    def __post_init__(self) -> None:
        _positive(self, "cap")
        _seconds(self, "ttl")


@dataclass(frozen=True)
class ApiSettings:
    """How the server runs. Only the operator sets these; callers of the API cannot.

    Attributes:
        upstream: the service and how to reach it.
        http: the limits on clients.
        store: where conversations are kept.
        api_key: if set, requests need ``Authorization: Bearer <api_key>``.
        cors_origins: origins allowed by CORS (none by default).
        docs: serve ``/docs`` and ``/openapi.json`` (Swagger UI from the package's files; the
            schema behind the key).
        ui: serve the chat page at ``/`` (``g4f api --no-ui`` turns it off).
        workers: processes serving one port (``g4f api --workers``; needs a shared store).
        ready_cache: seconds ``/ready`` reuses its last upstream check.
    """

    upstream: Upstream = field(default_factory=Upstream)
    http: HttpLimits = field(default_factory=HttpLimits)
    store: StoreSettings = field(default_factory=StoreSettings)
    api_key: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    docs: bool = False
    ui: bool = True
    workers: int = 1
    ready_cache: float = 10.0

    def __post_init__(self) -> None:
        _positive(self, "workers")
        _seconds(self, "ready_cache")
