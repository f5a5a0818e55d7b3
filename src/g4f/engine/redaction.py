"""What must never come back to the user from a server: the user's credentials, in every form.

A server (a hostile one, or a proxy) may repeat what the client sent — a token from the URL, a
cookie — in an error record's text, a result message or an HTTP error page. The engine runs
every :class:`~g4f.errors.G4FError` it raises through :func:`redact_error` with the dialect's
secrets, so no surface (a terminal, a ``--json`` error event, an API error body, a log) shows
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from ..errors import redacted
from ..urls import Redactor

__all__ = ["header_secrets", "redact_error"]

E = TypeVar("E", bound=BaseException)

_CREDENTIAL_HEADER = re.compile(r"cookie|authorization|token|secret|signature|key", re.IGNORECASE)
_MIN_COOKIE = 8
"""A cookie's value shorter than this is no credential (``SRCHHPGUSR=1``): it is not searched
for alone (the whole header still is)."""


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credentials among ``headers``: each credential header's value and, for ``Cookie``,
    each long enough cookie value; for ``Authorization``, its credentials without the scheme.

    >>> header_secrets({"Cookie": "_U=abcdefghij; x=1", "Accept": "*/*"})
    ['_U=abcdefghij; x=1', 'abcdefghij']
    """
    found: list[str] = []
    for name, value in headers.items():
        if not value or not _CREDENTIAL_HEADER.search(name):
            continue
        found.append(value)
        if name.lower() == "cookie":
            pairs = (pair.strip().partition("=")[2] for pair in value.split(";"))
            found.extend(pair for pair in pairs if len(pair) >= _MIN_COOKIE)
        elif name.lower() == "authorization":
            credentials = value.partition(" ")[2]
            if credentials:
                found.append(credentials)
    return found


def redact_error(error: E, secrets: Iterable[str | None]) -> E:
    """``error`` (in place) without any form of any of ``secrets`` in its texts or its chain
    of causes (:func:`g4f.errors.redacted`, :class:`g4f.urls.Redactor`)."""
    return redacted(error, Redactor(secrets))
