"""HTTP for services: one ``GET`` through aiohttp, with typed transport errors and a size cap."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from ..errors import ProtocolError
from ..services import HttpResponse
from ..urls import host_of
from .failures import request_failure

__all__ = ["AiohttpGet"]


class AiohttpGet:
    """A :class:`~g4f.services.HttpGet` over an aiohttp session.

    Args:
        session: the client's session.
        max_bytes: the largest body accepted (:class:`~g4f.errors.ProtocolError` past it).
        proxy: an HTTP proxy aiohttp applies per request.
        via: the proxy in use, SOCKS ones included (they sit in the session's connector), for
            error messages.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        max_bytes: int,
        proxy: str | None = None,
        via: str | None = None,
    ) -> None:
        self._session, self._max_bytes = session, max_bytes
        self._proxy, self._via = proxy, via or proxy

    async def __call__(
        self, url: str, *, headers: Mapping[str, str], time_limit: float
    ) -> HttpResponse:
        """The response to ``GET url``; never-reached and lost requests raise typed errors."""
        host = host_of(url)
        try:
            async with self._session.get(
                url,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=time_limit),
                proxy=self._proxy,
                allow_redirects=True,
            ) as response:
                body = await self._read(response, host)
                return HttpResponse(response.status, response.headers, body)
        except ProtocolError:
            raise
        except Exception as exc:  # mapped to a typed error, or raised as it is
            raise request_failure(exc, url, self._via, time_limit) from None

    async def _read(self, response: aiohttp.ClientResponse, host: str) -> str:
        """The body, read in pieces and refused past ``max_bytes`` (never read whole)."""
        pieces, size = [], 0
        async for piece in response.content.iter_chunked(64 * 1024):
            size += len(piece)
            if size > self._max_bytes:
                raise ProtocolError(
                    f"the response from {host} is larger than {self._max_bytes} bytes"
                )
            pieces.append(piece)
        return b"".join(pieces).decode(response.get_encoding(), errors="replace")
