"""Redirects are followed only within the origin they start from.

Every request of the engine carries the user's credentials — cookies in a header, Microsoft
365's token in the websocket URL's query — so a redirect to another origin (another scheme, host
or port) is never followed: it fails with :class:`CrossOriginRedirect`, which the engine turns
into a :class:`~g4f.errors.ProtocolError` naming where it pointed (its host only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from yarl import URL

__all__ = ["CrossOriginRedirect", "same_origin_redirects_only"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class CrossOriginRedirect(aiohttp.ClientError):
    """A server redirected a request to another origin.

    Attributes:
        origin: the origin it pointed at (``scheme://host:port``, never a path or query).
    """

    def __init__(self, origin: str) -> None:
        super().__init__(f"redirected to another origin: {origin}")
        self.origin = origin


def _origin(url: URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port}"


async def same_origin_redirects_only(
    request: aiohttp.ClientRequest,
    handler: Callable[[aiohttp.ClientRequest], Awaitable[aiohttp.ClientResponse]],
) -> aiohttp.ClientResponse:
    """An aiohttp client middleware (it runs for every hop of a redirect): a redirect whose
    ``Location`` leaves the request's origin raises :class:`CrossOriginRedirect` instead of
    being followed; any other answer passes through."""
    response = await handler(request)
    location = response.headers.get("Location")
    if response.status not in _REDIRECTS or location is None:
        return response
    try:
        target = request.url.join(URL(location))
        leaves = target.scheme not in ("http", "https", "ws", "wss") or (
            _origin(target) != _origin(request.url)
        )
    except ValueError:  # no URL aiohttp could follow either
        target, leaves = URL("unknown://"), True
    if leaves:
        response.release()
        raise CrossOriginRedirect(_origin(target) if target.host else "an unreadable URL")
    return response
