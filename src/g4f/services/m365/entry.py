"""Microsoft 365 Copilot's Chathub in the service registry."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ...engine.backend import Backend
from ...errors import NotAuthorized
from ...protocol.constants import Style
from ...urls import redact_url
from ..spec import Model, ServiceEntry, ServiceOption
from .account import PLAN_PARAMS
from .client import ENV_M365_URL, M365Client
from .dialect import BASE_URL, M365Dialect, check_base_url
from .source import TokenSource
from .token import ENV_TOKEN
from .tones import MODEL_PREFIX, TONES, friendly_name, normalise_tone

__all__ = ["M365", "MODEL_PREFIX", "PLANS", "normalise_tone"]

NAME = "m365"
PLANS: tuple[str, ...] = tuple(plan.value for plan in PLAN_PARAMS)
"""The kinds of account a bare token can be for (``plan=``; a pasted URL says its own)."""


def _build(**options: Any) -> Backend:
    return M365Client(**options)


def _describe(url: str | None, options: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """Checks ``--url`` and that a token is given; an expired one is only a warning (the file
    may be refreshed while the server runs)."""
    url = url or os.environ.get(ENV_M365_URL, "").strip() or None
    if url is not None:
        check_base_url(url)
    try:
        source = TokenSource.resolve(options.get("token"), options.get("token_file"))
    except NotAuthorized as exc:
        raise ValueError(str(exc)) from None
    warnings: tuple[str, ...] = ()
    try:
        token = source.current()
    except NotAuthorized as exc:
        warnings, token = (str(exc),), None
    if url is None:
        url = token.url.origin if token is not None and token.url is not None else BASE_URL
    return f"Microsoft 365 Copilot at {redact_url(url)}", warnings


def _local(hub_url: str) -> Mapping[str, Any]:
    """The hub's own test token: the user's is never sent to it."""
    from ...hub import make_test_token  # the hub is only loaded for --local

    return {"url": hub_url, "token": make_test_token(), "token_file": None}


M365: ServiceEntry = ServiceEntry(
    name=NAME,
    label="Microsoft 365 Copilot",
    title="Microsoft 365 Copilot (with your token or pasted websocket URL; any account kind)",
    build=_build,
    options=(
        ServiceOption(
            "--token-file",
            "token_file",
            "a file holding your token, or the whole Chathub websocket URL copied from your "
            f"browser, re-read when it changes (default: ${ENV_TOKEN})",
        ),
        ServiceOption(
            "--plan",
            "plan",
            "the kind of account of a bare token: work (the Copilot Chat included with a work "
            "account, the default), school, premium (a paid Microsoft 365 Copilot licence) or "
            "consumer (a pasted URL says its own)",
            metavar="KIND",
            load=str,
            choices=PLANS,
        ),
    ),
    accepts=frozenset({"token", "token_file", "tone", "plan", "warn"}),
    models=tuple(
        Model(friendly_name(tone), Style.PRECISE, service=NAME, tone=tone) for tone in TONES
    ),
    model_prefix=MODEL_PREFIX,
    model_alias=normalise_tone,
    default_url=BASE_URL,
    env_url=ENV_M365_URL,
    capabilities=M365Dialect.capabilities,
    offline_hint=(
        "g4f: Microsoft 365 Copilot could not be reached. Offline? `g4f chat --service m365 "
        f"--local` answers from a hub started in-process; --url or ${ENV_M365_URL} points at "
        "another server (e.g. `g4f hub`)."
    ),
    local_options=_local,
    describe=_describe,
)
"""Microsoft 365 Copilot's Chathub, with the user's own token."""
