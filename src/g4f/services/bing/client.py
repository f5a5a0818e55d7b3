"""The async client for Bing's 2023 ChatHub: the ChatHub engine with Bing's dialect."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ...engine.chathub import ChatHubClient
from ...engine.config import Limits, Timeouts
from ...engine.retry import RetryPolicy
from ...urls import redact_url
from .cookies import Cookies
from .dialect import BingDialect, Endpoints
from .invocation import Locale

__all__ = ["BingClient"]


class BingClient(ChatHubClient):
    """An async client for Bing's 2023 ChatHub (or a server speaking it, such as the hub).

    Use it as an async context manager; it owns one HTTP session, closed on exit.

    Args:
        url: a server serving both ChatHub paths (e.g. the local hub); defaults to
            ``$G4F_BING_URL``, then Bing's own hosts.
        cookies: the user's own Bing cookies — a ``Cookie`` header value, a dict, or
            :class:`~g4f.client.Cookies` (e.g. ``Cookies.from_file(path)``); defaults to
            ``$BING_COOKIES``. Never logged, shown or written.
        locale: language and market hints.
        timeouts, proxy, retry, record, max_idle_connections, limits: as for
            :class:`ChatHubClient`.

    Example::

        async with BingClient(url="http://127.0.0.1:8765") as client:
            async for event in client.ask("Hello"):
                if isinstance(event, TextDelta):
                    print(event.text, end="")
    """

    service: BingDialect

    def __init__(
        self,
        *,
        url: str | None = None,
        cookies: Cookies | str | Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        locale: Locale | None = None,
        proxy: str | None = None,
        retry: RetryPolicy | None = None,
        record: str | os.PathLike[str] | None = None,
        max_idle_connections: int = 16,
        limits: Limits | None = None,
    ) -> None:
        service = BingDialect(
            endpoints=Endpoints.resolve(url),
            cookies=Cookies.coerce(cookies) if cookies is not None else Cookies.from_env(),
            locale=locale or Locale(),
        )
        super().__init__(
            service,
            timeouts=timeouts,
            proxy=proxy,
            retry=retry,
            record=record,
            max_idle_connections=max_idle_connections,
            limits=limits,
        )

    @property
    def endpoints(self) -> Endpoints:
        """Where conversations are created and the websocket is."""
        return self.service.endpoints

    @property
    def locale(self) -> Locale:
        """Language and market hints."""
        return self.service.locale

    def __repr__(self) -> str:
        cookies = "<redacted>" if self.service.cookies else None
        proxy = redact_url(self._proxy) if self._proxy else None
        return f"BingClient(endpoints={self.endpoints!r}, cookies={cookies}, proxy={proxy!r})"
