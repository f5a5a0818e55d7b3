"""URLs shown to people: where they point, never the credentials they may carry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["REDACTED", "Redactor", "host_of", "redact_text", "redact_url", "secret_forms"]

REDACTED = "<redacted>"
"""What a secret is replaced by."""

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
    >>> redact_text(redact_text("wss://host/chathub?access_token=SECRET"))
    'wss://host/chathub?<redacted>'
    """

    def url(match: re.Match[str]) -> str:
        try:
            parts = urlsplit(redact_url(match.group()))
        except ValueError:  # not a URL urllib can read (e.g. a bad port): none of it is kept
            return f"{match.group(1)}<redacted>"
        query = "<redacted>" if parts.query else ""
        kept = parts._replace(query=query, fragment="").geturl()
        # A bare "?" stays: redacting text already redacted ("…?<redacted>") changes nothing.
        return f"{kept}?" if match.group().endswith("?") and not query else kept

    text = _URL.sub(url, text)
    text = _SECRET_PARAMETER.sub(r"\1<redacted>", text)
    return _JWT.sub("<redacted>", text)


_MIN_PART = 8
"""The shortest piece of a secret (a JWT's signature alone) searched for by itself."""


def secret_forms(secret: str) -> list[str]:
    """The strings to search for ``secret`` by: itself and, for a JWT
    (``header.payload.signature``), each of its parts alone — a signature alone authenticates
    nothing, but it identifies the token. Each is found in any percent-encoding too
    (:class:`Redactor`).

    >>> secret_forms("eyJhbGciOi.eyJzdWIiOiJ1In0.c2lnbmF0dXJl")
    ['eyJhbGciOi.eyJzdWIiOiJ1In0.c2lnbmF0dXJl', 'eyJhbGciOi', 'eyJzdWIiOiJ1In0', 'c2lnbmF0dXJl']
    """
    if not secret:
        return []
    parts = secret.split(".")
    if len(parts) != 3:
        return [secret]
    return [secret, *(part for part in parts if len(part) >= _MIN_PART)]


def _any_encoding(char: str) -> str:
    """A pattern for ``char`` as itself or percent-encoded (either case, once or twice; ``+``
    for a space, ``\\/`` for a slash as JSON may write it)."""
    escapes = "".join(f"%(?:25)?(?i:{byte:02X})" for byte in char.encode("utf-8"))
    alternatives = [re.escape(char), escapes]
    if char == " ":
        alternatives.append(r"\+")
    if char == "/":
        alternatives.append(r"\\/")
    return f"(?:{'|'.join(alternatives)})"


class Redactor:
    """Takes every form of every secret it was given out of a text — raw, percent-encoded in
    any way (a path, a query value, a form field, once or twice), a JWT's parts alone — then
    what :func:`redact_text` takes out (URL queries and user info, ``token=``-like parameters,
    JWTs): the one place that server-provided text passes through before it is shown in an
    error or written to a file.

    >>> redact = Redactor(["s3cr3t-t0ken/x"])
    >>> redact("denied: s3cr3t-t0ken/x, s3cr3t%2Dt0ken%2fx, s3cr3t-t0ken%252Fx")
    'denied: <redacted>, <redacted>, <redacted>'
    """

    __slots__ = ("_pattern", "_patterns")

    def __init__(self, secrets: Iterable[str | None] = (), *, patterns: bool = True) -> None:
        """``patterns=False``: take out the secrets only, not every URL query and JWT (for a
        recording, whose answers' links must stay as they were)."""
        self._patterns = patterns
        forms = {form for secret in secrets for form in secret_forms(secret or "")}
        # Longest first: a form that contains another is taken out whole.
        ordered = sorted(forms, key=lambda form: (-len(form), form))
        each = ["".join(map(_any_encoding, form)) for form in ordered]
        self._pattern = re.compile("|".join(each)) if each else None

    def __repr__(self) -> str:
        return "Redactor(<secrets>)"

    def __call__(self, text: str) -> str:
        """``text`` without any secret."""
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        return redact_text(text) if self._patterns else text
