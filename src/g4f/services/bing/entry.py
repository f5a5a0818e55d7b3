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

__all__ = ["BING", "BING_PROVIDER", "load_cookies"]

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
        "g4f: Bing's service could not be reached. Offline? `g4f chat --local` answers from a "
        f"hub started in-process; --url or ${ENV_URL} points at another server (e.g. "
        "`g4f hub`)."
    ),
    local_options=_local,
    describe=_describe,
    keeps_secrets=True,
)
"""Bing's 2023 ChatHub: the seed's service (switched off by Microsoft in late 2024)."""
