"""Answers that tell a caller what to do: a 404 listing the routes that exist, a body sent
without ``Content-Type: application/json``, and the docs page opened from a browser behind
``--api-key`` (a browser cannot send the ``Authorization`` header: ``/docs?key=KEY`` once sets
an HttpOnly cookie that opens the docs pages, and only them; the API itself still wants the
header)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from fastapi.responses import RedirectResponse, Response

__all__ = [
    "DOCS_COOKIE",
    "DOCS_PATHS",
    "LET_THROUGH",
    "ROUTES",
    "docs_by_browser",
    "not_found_message",
    "not_json_message",
]

ROUTES = (
    "POST /v1/chat/completions",
    "GET /v1/models",
    "GET /v1/models/{id}",
    "GET /health",
    "GET /ready",
)
"""What the API serves (besides the docs)."""

DOCS_PATHS = frozenset({"/docs", "/openapi.json"})
"""The docs pages (served with ``--docs``)."""

DOCS_COOKIE = "g4f_docs"
"""The cookie that opens the docs pages behind a key: a MAC of the key, never the key."""

LET_THROUGH = Response()
"""What :func:`docs_by_browser` returns for a request the docs cookie lets through."""


def not_found_message(method: str, path: str, docs: bool) -> str:
    """The 404's message for a path no route serves: what exists, how to have the docs."""
    listed = ", ".join(ROUTES) + (", GET /docs" if docs else "")
    hint = "" if docs else " The interactive docs (/docs) are served with `g4f api --docs`."
    return f"No route {method} {path}. The API serves: {listed}.{hint}"


def not_json_message(content_type: str) -> str:
    """The 415's message for a body not declared as JSON."""
    sent = f"Content-Type: {content_type}" if content_type else "no Content-Type"
    return f"The body must be JSON, sent with Content-Type: application/json (this one had {sent})."


def _docs_cookie_value(api_key: str) -> str:
    return hmac.new(api_key.encode(), b"g4f-api-docs", hashlib.sha256).hexdigest()


def _cookie(scope: MutableMapping[str, Any], name: str) -> str | None:
    cookies: SimpleCookie = SimpleCookie()
    for header, value in scope.get("headers") or []:
        if header == b"cookie":
            try:
                cookies.load(value.decode("latin-1"))
            except CookieError:
                return None
    found = cookies.get(name)
    return None if found is None else found.value


def docs_by_browser(scope: MutableMapping[str, Any], api_key: str) -> Response | None:
    """For a ``GET`` of a docs page without the header: ``?key=KEY`` is a redirect setting the
    docs cookie (HttpOnly, SameSite=Strict); a valid cookie is :data:`LET_THROUGH`; anything
    else is ``None`` (the 401)."""
    if scope.get("path") not in DOCS_PATHS or scope.get("method") != "GET":
        return None
    expected = _docs_cookie_value(api_key)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if any(hmac.compare_digest(k.encode(), api_key.encode()) for k in query.get("key", [])):
        redirect = RedirectResponse(scope["path"], status_code=303)
        redirect.set_cookie(DOCS_COOKIE, expected, httponly=True, samesite="strict", path="/")
        return redirect
    given = _cookie(scope, DOCS_COOKIE)
    return LET_THROUGH if given and hmac.compare_digest(given, expected) else None
