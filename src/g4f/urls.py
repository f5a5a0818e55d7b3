"""URLs shown to people: where they point, never the credentials they may carry."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["host_of", "redact_text", "redact_url"]

_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^\s'\"<>(){}]+")
_SECRET_PARAMETER = re.compile(
    r"((?:access_token|sec_access_token|token|signature|key|password|cookie)=)[^\s&'\"]+",
    re.IGNORECASE,
)
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")


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


def redact_text(text: str) -> str:
    """``text`` (e.g. a lower-level exception's message) with its credentials taken out: every
    URL without its user info, query and fragment (a token travels in a query), and any
    ``access_token=…``-like parameter or JWT outside a URL cut out.

    >>> redact_text("401, url='wss://u:pw@host/chathub?access_token=SECRET&x=1'")
    "401, url='wss://<redacted>@host/chathub?<redacted>'"
    >>> redact_text("sent token=abc and eyJhbGciOi.eyJzdWIiOi.c2ln")
    'sent token=<redacted> and <redacted>'
    >>> redact_text("http://[::1]:8080/x?k=1 and http://u:p@h:bad/")
    'http://[::1]:8080/x?<redacted> and http://<redacted>'
    """

    def url(match: re.Match[str]) -> str:
        try:
            parts = urlsplit(redact_url(match.group()))
        except ValueError:  # not a URL urllib can read (e.g. a bad port): none of it is kept
            return f"{match.group(1)}<redacted>"
        query = "<redacted>" if parts.query else ""
        return parts._replace(query=query, fragment="").geturl()

    text = _URL.sub(url, text)
    text = _SECRET_PARAMETER.sub(r"\1<redacted>", text)
    return _JWT.sub("<redacted>", text)
