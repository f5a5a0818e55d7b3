"""The async client for Microsoft 365 Copilot's Chathub, with the user's own token."""

from __future__ import annotations

import os

from ...engine.chathub import ChatHubClient
from ...engine.config import Limits, Timeouts
from ...engine.retry import RetryPolicy
from ...urls import redact_url
from . import DEFAULT_TONE, M365Dialect, TokenSource
from .dialect import BASE_URL

__all__ = ["ENV_M365_URL", "M365Client"]

ENV_M365_URL = "G4F_M365_URL"
"""Environment variable naming another server that speaks Microsoft 365 Copilot's Chathub
(e.g. the local hub), in place of ``https://substrate.office.com``."""


class M365Client(ChatHubClient):
    """An async client for Microsoft 365 Copilot (a work or school account with a Microsoft 365
    Copilot licence), with the same ``ask()`` / ``ask_text()`` / conversation API as
    :class:`~g4f.client.BingClient`.

    Args:
        token: the user's own token (see the README for how to copy it from a browser).
        token_file: a file holding it, re-read when it changes (tokens last about an hour).
            Without either, ``$M365_COPILOT_TOKEN``. Never logged, shown or written.
        url: another server speaking the Chathub (``http://`` for ``ws://``); defaults to
            ``$G4F_M365_URL``, then ``https://substrate.office.com``.
        tone: the model of new conversations (``Magic``: the service picks).
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
        timeouts: Timeouts | None = None,
        proxy: str | None = None,
        retry: RetryPolicy | None = None,
        record: str | os.PathLike[str] | None = None,
        limits: Limits | None = None,
    ) -> None:
        base_url = url or os.environ.get(ENV_M365_URL, "").strip() or BASE_URL
        service = M365Dialect(TokenSource.resolve(token, token_file), base_url=base_url, tone=tone)
        super().__init__(
            service, timeouts=timeouts, proxy=proxy, retry=retry, record=record, limits=limits
        )

    def __repr__(self) -> str:
        proxy = redact_url(self._proxy) if self._proxy else None
        return (
            f"M365Client(url={self.service.base_url!r}, token={self.service.token!r}, "
            f"tone={self.service.tone!r}, proxy={proxy!r})"
        )

    async def __aenter__(self) -> M365Client:
        return self
