"""The chat page (``GET /`` and ``/ui/*``) and an offline ``/docs``, served from files inside
the package (``g4f/api/ui/``): no CDN, no download at run time, no build step.

The page's files hold no data, so they load without the API key (:func:`public_path`); every
API route still needs it. Each of them is sent with a ``Content-Security-Policy`` that allows
this origin only and no inline script, so text a model answers cannot run as script even if it
got past the page's sanitizer.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.staticfiles import StaticFiles

from .middleware import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PAGE_CSP", "UI_DIR", "mount_docs", "mount_ui", "public_path"]

UI_DIR = Path(__file__).with_name("ui")
"""The page's files (package data)."""

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""The chat page's policy: this origin only, no inline script or style, no plugins, no frames."""

DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
"""Swagger UI's: as the page's, but it sets inline styles on its elements."""

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def public_path(path: str) -> bool:
    """Whether ``path`` is one of the page's static files, served without the API key.

    Only ``/``, ``/docs`` and what is under ``/ui/`` (which the static files resolve inside the
    package's folder, or answer 404): no API route starts so.

    >>> public_path("/"), public_path("/ui/app.js"), public_path("/v1/models")
    (True, True, False)
    """
    return path in ("/", "/docs") or path.startswith("/ui/")


def _with_headers(app: ASGIApp, csp: str) -> ASGIApp:
    """``app`` with the security headers (and ``csp``) on every answer."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                for name, value in _HEADERS.items():
                    headers[name] = value
            await send(message)

        await app(scope, receive, sending)

    return wrapped


def mount_ui(app: FastAPI) -> None:
    """Serve the chat page on ``app``: ``GET /`` and the static files under ``/ui/``."""
    index = UI_DIR / "index.html"
    static = StaticFiles(directory=UI_DIR, check_dir=False)
    app.mount("/ui", _with_headers(static, PAGE_CSP), name="ui")

    async def page() -> FileResponse:
        """The chat page."""
        return FileResponse(
            index,
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_CSP} | _HEADERS,
        )

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)


_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>g4f-bing API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/ui/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="/ui/favicon.svg"></head>
<body><div id="swagger-ui"></div>
<script src="/ui/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/ui/docs.js"></script></body></html>
"""


def mount_docs(app: FastAPI) -> None:
    """Serve ``GET /docs``: Swagger UI from the package's files (for ``--docs``; the app's
    ``openapi_url`` must be ``/openapi.json``). Its script sends the key the chat page keeps."""

    async def docs() -> HTMLResponse:
        """The API's interactive documentation."""
        return HTMLResponse(_DOCS_PAGE, headers={"Content-Security-Policy": DOCS_CSP} | _HEADERS)

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
