"""Bing's 2023 ChatHub in the service registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...engine.backend import Backend
from ...protocol.constants import Style
from ...urls import redact_url
from ..spec import Model, ServiceEntry, ServiceOption
from .client import BingClient
from .cookies import Cookies
from .dialect import ENV_URL, BingDialect, Endpoints

__all__ = ["BING", "BING_PROVIDER", "SWITCHED_OFF", "load_cookies"]

SWITCHED_OFF = (
    "Microsoft switched Bing's ChatHub off in late 2024, so the default service no longer "
    "answers. Use --service m365 (Microsoft 365 Copilot, with your own token), the Chat API "
    "(--service graph or workiq), or --local (an offline hub in-process)"
)
"""What to say when Bing's own hosts cannot be reached: the service is gone, and what instead."""

NAME = "bing"
BING_PROVIDER = "g4f.Provider.Providers.Bing"
"""The seed's provider module, which serves ``gpt-4`` through ``g4f.ChatCompletion``."""


def load_cookies(path: str) -> Cookies:
    """The cookies in the file ``path``; ``ValueError`` naming it when it cannot be read."""
    try:
        return Cookies.from_file(path)
    except OSError as exc:
        raise ValueError(f"cannot read the cookies file {path}: {exc.strerror or exc}") from None


def _build(**options: Any) -> Backend:
    return BingClient(**options)


def _describe(url: str | None, options: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    return redact_url(Endpoints.resolve(url).chathub_url), ()


def _local(hub_url: str) -> Mapping[str, Any]:
    return {"url": hub_url}


BING: ServiceEntry = ServiceEntry(
    name=NAME,
    label="Bing",
    title="Bing's 2023 ChatHub (with your cookies)",
    build=_build,
    options=(
        ServiceOption(
            "--cookies",
            "cookies",
            "your Bing cookies: a browser export (JSON) or cookies.txt (default: $BING_COOKIES, "
            "which holds a Cookie header value: name=value; name2=value2)",
            load=load_cookies,
        ),
    ),
    accepts=frozenset({"cookies", "locale", "max_idle_connections"}),
    models=(
        Model("gpt-4", Style.PRECISE, provider=BING_PROVIDER, service=NAME),  # the seed's
        Model("bing-creative", Style.CREATIVE, service=NAME),
        Model("bing-balanced", Style.BALANCED, service=NAME),
        Model("bing-precise", Style.PRECISE, service=NAME),
    ),
    default_url=Endpoints().chathub_url,
    env_url=ENV_URL,
    capabilities=BingDialect.capabilities,
    offline_hint=(
        f"g4f: Bing's ChatHub could not be reached. {SWITCHED_OFF}: `g4f chat --local` is the "
        f"offline demo; --url or ${ENV_URL} points at another server (e.g. `g4f hub`)."
    ),
    local_options=_local,
    describe=_describe,
    keeps_secrets=True,
)
"""Bing's 2023 ChatHub: the seed's service (switched off by Microsoft in late 2024)."""
