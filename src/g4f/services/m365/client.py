"""The async client for Microsoft 365 Copilot's Chathub, with the user's own token."""

from __future__ import annotations

import os
from collections.abc import Callable

from ...engine.chathub import ChatHubClient
from ...engine.config import Limits, Timeouts
from ...engine.retry import RetryPolicy
from ...urls import redact_url
from .account import DEFAULT_PLAN, Plan, check_plan
from .dialect import M365Dialect
from .source import TokenSource
from .tones import DEFAULT_TONE

__all__ = ["ENV_M365_URL", "M365Client"]

ENV_M365_URL = "G4F_M365_URL"
"""Environment variable naming another server that speaks Microsoft 365 Copilot's Chathub
(e.g. the local hub), in place of ``https://substrate.office.com``."""


class M365Client(ChatHubClient):
    """An async client for Microsoft 365 Copilot (every kind of account: a work or school
    account with the included Copilot Chat or a paid licence, or a consumer Microsoft 365
    plan), with the same ``ask()`` / ``ask_text()`` / conversation API as
    :class:`~g4f.client.BingClient`.

    Args:
        token: the user's own token, or the whole Chathub websocket URL copied from the
            browser (host, path, token and account kind at once; see docs/m365.md).
        token_file: a file holding either, re-read when it changes (tokens last about an
            hour); an inherited pipe (``<(…)``) is read once. Without either,
            ``$M365_COPILOT_TOKEN``. Never logged, shown or written.
        url: another server speaking the Chathub (``http://`` for ``ws://``), replacing the
            pasted URL's host; defaults to ``$G4F_M365_URL``, then the pasted URL's host, then
            ``https://substrate.office.com``.
        tone: the model of new conversations (``Magic``: the service picks); a tone or its
            model id (``Gpt_Quick`` or ``m365-gpt-quick``).
        plan: the kind of account of a bare token (``work``: the included Copilot Chat, the
            default; ``school``, ``premium``, ``consumer``); a pasted URL says its own.
        warn: told what the user should know before a turn (a token about to expire, an
            encrypted one whose expiry is unknown, a token file others can read); without it,
            logged as a warning.
        timeouts, proxy, retry, record, limits: as for :class:`~g4f.client.ChatHubClient`.

    Example::

        async with M365Client(token_file="~/.config/m365-token") as client:
            async for event in client.ask("Summarise SignalR in one line"):
                if isinstance(event, TextDelta):
                    print(event.text, end="")
    """

    service: M365Dialect

    def __init__(
        self,
        *,
        token: str | None = None,
        token_file: str | os.PathLike[str] | None = None,
        url: str | None = None,
        tone: str = DEFAULT_TONE,
        plan: str | Plan = DEFAULT_PLAN,
        warn: Callable[[str], None] | None = None,
        timeouts: Timeouts | None = None,
        proxy: str | None = None,
        retry: RetryPolicy | None = None,
        record: str | os.PathLike[str] | None = None,
        limits: Limits | None = None,
    ) -> None:
        base_url = url or os.environ.get(ENV_M365_URL, "").strip() or None
        source = TokenSource.resolve(token, token_file, warn=warn)
        service = M365Dialect(source, base_url=base_url, tone=tone, plan=check_plan(plan))
        super().__init__(
            service, timeouts=timeouts, proxy=proxy, retry=retry, record=record, limits=limits
        )

    def __repr__(self) -> str:
        proxy = redact_url(self._proxy) if self._proxy else None
        return (
            f"M365Client(url={self.service.base_url!r}, token={self.service.token!r}, "
            f"plan={self.service.plan.value!r}, "
            f"tone={self.service.tone!r}, proxy={proxy!r})"
        )
