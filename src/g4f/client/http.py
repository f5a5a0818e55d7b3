"""HTTP for services: one ``GET`` through aiohttp, with typed transport errors."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from ..errors import ConnectError, ConnectionClosed, ConnectTimeout, ResponseTimeout
from ..services import HttpResponse
from .config import host_of

__all__ = ["AiohttpGet"]


class AiohttpGet:
    """A :class:`~g4f.services.HttpGet` over an aiohttp session (and an optional HTTP proxy)."""

    def __init__(self, session: aiohttp.ClientSession, proxy: str | None = None) -> None:
        self._session, self._proxy = session, proxy

    async def __call__(
        self, url: str, *, headers: Mapping[str, str], time_limit: float
    ) -> HttpResponse:
        """The response to ``GET url``; never-reached and lost requests raise typed errors."""
        try:
            async with self._session.get(
                url,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=time_limit),
                proxy=self._proxy,
                allow_redirects=True,
            ) as response:
                body = await response.text(errors="replace")
                return HttpResponse(response.status, response.headers, body)
        except aiohttp.ConnectionTimeoutError:
            raise ConnectTimeout(f"connecting to {host_of(url)} timed out") from None
        except TimeoutError:
            raise ResponseTimeout(
                f"the request to {host_of(url)} timed out after {time_limit:g}s"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise ConnectError(f"could not reach {host_of(url)}: {type(exc).__name__}") from None
        except aiohttp.ClientError as exc:
            raise ConnectionClosed(
                f"the request to {host_of(url)} failed: {type(exc).__name__}"
            ) from None
