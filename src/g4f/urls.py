"""URLs shown to people: where they point, never the credentials they may carry."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["host_of", "redact_url"]


def host_of(url: str) -> str:
    """The ``host:port`` of ``url``, never its user info, path or query (they may hold secrets)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def redact_url(url: str) -> str:
    """``url`` without its user info (a password in a URL is a credential).

    >>> redact_url("socks5://user:secret@127.0.0.1:1080")
    'socks5://<redacted>@127.0.0.1:1080'
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return parts._replace(netloc=f"<redacted>@{host}").geturl()
