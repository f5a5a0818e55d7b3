"""Proxies: ``http(s)://`` through aiohttp itself, ``socks5://`` through aiohttp-socks."""

from __future__ import annotations

import ssl as ssl_module
from urllib.parse import urlsplit

import aiohttp

from ..urls import redact_url

__all__ = ["check_proxy", "is_socks", "socks_connector"]

_SOCKS = ("socks5", "socks5h", "socks4", "socks4a")
_SCHEMES = ("http", "https", *_SOCKS)


def is_socks(proxy: str) -> bool:
    """Whether ``proxy`` is a SOCKS proxy URL."""
    return urlsplit(proxy).scheme.lower() in _SOCKS


def check_proxy(proxy: str) -> str:
    """Return ``proxy`` if it is a usable proxy URL, else raise ``ValueError``."""
    parts = urlsplit(proxy)
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise ValueError(
            f"unsupported proxy {redact_url(proxy)!r}: use http://, https:// or socks5://host:port"
        )
    if is_socks(proxy):
        socks_connector_class()  # fail now, not at the first request, if the extra is missing
    return proxy


def socks_connector_class() -> type[aiohttp.BaseConnector]:
    """aiohttp-socks' connector class, or ``ValueError`` saying how to install it."""
    try:
        from aiohttp_socks import ProxyConnector
    except ImportError:
        raise ValueError(
            "SOCKS proxies need aiohttp-socks: pip install 'g4f-bing[socks]'"
        ) from None
    return ProxyConnector


def socks_connector(
    proxy: str, *, limit: int = 100, ssl: ssl_module.SSLContext | None = None
) -> aiohttp.BaseConnector | None:
    """A connector routing every connection through ``proxy`` if it is SOCKS, else ``None``;
    ``ssl``: the TLS context of the connections it carries (default: aiohttp's)."""
    if not is_socks(proxy):
        return None
    connector_class = socks_connector_class()
    options: dict[str, object] = {"limit": limit}
    if ssl is not None:
        options["ssl"] = ssl
    return connector_class.from_url(proxy, **options)  # type: ignore[attr-defined,no-any-return]
