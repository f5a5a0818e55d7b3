"""HTTP for services: ``GET`` and form ``POST`` through aiohttp, with typed transport errors and
a size cap."""

from __future__ import annotations

import codecs
import functools
import io
import os
import ssl
import urllib.parse
from collections.abc import Mapping, Sequence

import aiohttp

from ..errors import ProtocolError, caused_by
from ..urls import host_of
from .dialect import HttpResponse
from .failures import request_failure
from .proxy import is_socks, socks_connector
from .redirects import same_origin_redirects_only

__all__ = ["AiohttpGet", "client_session", "request_proxy", "trust_store"]


def trust_store() -> ssl.SSLContext:
    """The default trust store, or ``$REQUESTS_CA_BUNDLE`` / ``$SSL_CERT_FILE`` (as requests
    and OpenSSL honour them, so that a company's TLS proxy and the hub's certificate work).

    Loading one takes tens of milliseconds, which would otherwise fall inside the first request
    of every new session: each bundle's is loaded once per process and shared (a context is
    safe to share between sessions; a bundle edited meanwhile is read by the next process)."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    return _trust_store(bundle or None)


@functools.lru_cache(maxsize=4)
def _trust_store(bundle: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=bundle)


def client_session(proxy: str | None, *, connect: float) -> aiohttp.ClientSession:
    """The session every service's client uses: TLS with :func:`trust_store`, connections
    through ``proxy`` when it is SOCKS, redirects followed within the origin only (credentials
    stay with it), ``connect`` seconds to connect and no overall limit (a turn's deadline is
    the engine's). No limit on connections either: each running turn holds one for its whole
    length, so aiohttp's default pool of 100 would cap concurrent turns at 100."""
    tls = trust_store()
    connector = socks_connector(proxy, limit=0, ssl=tls) if proxy else None
    return aiohttp.ClientSession(
        connector=connector or aiohttp.TCPConnector(limit=0, ssl=tls),
        middlewares=(same_origin_redirects_only,),
        timeout=aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=connect),
    )


def request_proxy(proxy: str | None) -> str | None:
    """The proxy aiohttp applies per request: an HTTP(S) one (SOCKS sits in the session's
    connector instead, see :func:`client_session`)."""
    return proxy if proxy and not is_socks(proxy) else None


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
        return await self._request("GET", url, headers, time_limit)

    async def post_form(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        fields: Sequence[tuple[str, str]],
        time_limit: float,
        urlencoded: bool = False,
    ) -> HttpResponse:
        """The response to ``POST url`` with a form, multipart or URL-encoded (an
        :class:`~g4f.services.HttpPost`)."""
        if urlencoded:  # a stream: a large body in one bytes object would block the loop
            body = io.BytesIO(urllib.parse.urlencode(list(fields)).encode("ascii"))
            form_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
            return await self._request("POST", url, form_headers, time_limit, body)
        form = aiohttp.FormData(default_to_multipart=True)
        for name, value in fields:
            form.add_field(name, value)
        return await self._request("POST", url, headers, time_limit, form)

    async def _request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        time_limit: float,
        data: aiohttp.FormData | io.BytesIO | None = None,
    ) -> HttpResponse:
        host = host_of(url)
        try:
            async with self._session.request(
                method,
                url,
                headers=dict(headers),
                data=data,
                timeout=aiohttp.ClientTimeout(total=time_limit),
                proxy=self._proxy,
                allow_redirects=method == "GET",
            ) as response:
                body = await self._read(response, host)
                return HttpResponse(response.status, response.headers, body)
        except ProtocolError:
            raise
        except Exception as exc:  # mapped to a typed error, or raised as it is
            failure = caused_by(request_failure(exc, url, self._via, time_limit), exc)
        raise failure  # outside the except: the original is no __context__ of it

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
        return b"".join(pieces).decode(_charset(response), errors="replace")


def _charset(response: aiohttp.ClientResponse) -> str:
    """The body's declared charset if Python knows it, else UTF-8 — never aiohttp's guess,
    which raises ``RuntimeError`` for a body read in pieces and no charset (an HTML 404 of
    an ordinary web server, ``application/octet-stream``, no ``Content-Type``)."""
    charset = response.charset
    if charset:
        try:
            return codecs.lookup(charset).name
        except LookupError:
            pass
    return "utf-8"
