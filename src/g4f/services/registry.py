"""The service registry: one :class:`~g4f.services.spec.ServiceEntry` per service, by the name
surfaces use (``--service``, ``service=``).

Adding a service is a new folder under ``g4f/services/`` with its entry, plus one line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.backend import Backend
from .bing.entry import BING
from .chatapi.entry import GRAPH_ENTRY, WORKIQ_ENTRY
from .m365.entry import M365
from .spec import ServiceEntry

__all__ = ["COMMON_OPTIONS", "DEFAULT_SERVICE", "REGISTRY", "SERVICES", "backend_for", "entry"]

REGISTRY: Mapping[str, ServiceEntry] = {
    e.name: e for e in (BING, M365, GRAPH_ENTRY, WORKIQ_ENTRY)
}
"""Every service, by name; the first is the default."""

SERVICES: tuple[str, ...] = tuple(REGISTRY)
"""The services' names."""

DEFAULT_SERVICE = SERVICES[0]
"""The service used when none is named (Bing's 2023 ChatHub, the seed's)."""

COMMON_OPTIONS = frozenset({"url", "proxy", "timeouts", "retry", "record", "limits"})
"""The options every service's backend takes."""


def entry(service: str) -> ServiceEntry:
    """The entry of ``service``; ``ValueError`` listing the services if there is none."""
    found = REGISTRY.get(service) if isinstance(service, str) else None
    if found is None:
        raise ValueError(f"service must be one of {', '.join(SERVICES)}, not {service!r}")
    return found


def check_service(service: str) -> str:
    """``service`` if it names one, else ``ValueError`` listing them."""
    return entry(service).name


def backend_for(service: str, **options: Any) -> Backend:
    """The backend of ``service`` with ``options``: the common ones (:data:`COMMON_OPTIONS`) and
    the service's own. An option the service does not take is a ``ValueError`` naming it
    (``None`` values are left out, so a surface can pass every option it has)."""
    chosen = entry(service)
    given = {name: value for name, value in options.items() if value is not None}
    unknown = sorted(set(given) - COMMON_OPTIONS - chosen.accepts)
    if unknown:
        raise ValueError(f"the {service} service does not take {', '.join(unknown)}")
    return chosen.build(**given)


client_for = backend_for
"""The former name of :func:`backend_for`."""
