"""The OpenAI-compatible HTTP server: ``POST /v1/chat/completions`` and friends, over a
:class:`~g4f.engine.backend.Backend` built through the service registry.

Every error answer, whoever raises it (FastAPI's routing and validation, the middleware, the
upstream), is in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``
(:mod:`g4f.api.errors`). The routes are in :mod:`g4f.api.routes`, the chat completions in
:mod:`g4f.api.shapes.chat_completions`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from .. import __version__
from ..engine.backend import Backend
from .disconnect import watched
from .errors import error_response, install_handlers
from .events import mount_events
from .middleware import ASGIApp, limit_body, require_key
from .routes import Readiness, Served, router, served
from .settings import ApiSettings
from .shapes.chat_completions import ChatCompletions
from .shapes.messages import Messages
from .shapes.responses import Responses
from .store import ConversationStore, make_store
from .turns import TurnRunner
from .ui import mount_docs, mount_ui, public_path

__all__ = ["ApiSettings", "create_app", "error_response", "make_settings_store"]

Stop = asyncio.Event | None
"""The server's stopping event, if it has one."""


def create_app(
    settings: ApiSettings | None = None,
    *,
    backend: Backend | None = None,
    store: ConversationStore | None = None,
    stopping: Stop = None,
) -> ASGIApp:
    """The ASGI application: FastAPI, inside the key check, the body-size limit and CORS.

    Args:
        settings: how the server runs (the defaults: Bing's service, a memory store).
        backend: the upstream to use instead of the one ``settings.upstream`` builds (e.g. a
            :class:`~g4f.engine.fake.FakeBackend` in a test); the app closes it as it stops.
        store: the conversation store to use instead of the one ``settings.store`` names (not
            yet opened: the app opens it as it starts and closes it as it stops).
        stopping: set when the server begins to stop: running turns end (see g4f.api.server).

    Example::

        import uvicorn
        upstream = Upstream(url="http://127.0.0.1:8765")
        uvicorn.run(create_app(ApiSettings(upstream=upstream)), port=1337)
    """
    settings = settings or ApiSettings()
    store = make_settings_store(settings) if store is None else store
    app = FastAPI(
        title="g4f-bing",
        version=__version__,
        lifespan=_lifespan(settings, backend, store),
        docs_url=None,  # mount_docs serves it from the package's files
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.conversations = store
    runner = TurnRunner(settings, store)  # one for every shape: one store, one set of leases
    app.state.served = Served(
        settings.upstream.service,
        Readiness(settings.ready_cache),
        ChatCompletions(runner),
        Responses(runner),
        Messages(runner),
    )
    install_handlers(app)
    app.include_router(router)
    mount_events(app, runner, lambda: served(app).upstream())
    if settings.ui:
        mount_ui(app)
    if settings.docs:
        mount_docs(app)
    return _wrapped(app, settings, stopping or asyncio.Event())


def _lifespan(
    settings: ApiSettings, backend: Backend | None, store: ConversationStore
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """The app's lifespan: ``store`` open and the upstream built (``backend``, else the one
    ``settings`` build) while it serves, both closed as it stops."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
        state = served(app)
        await store.open()
        try:
            # Built here, not before: each worker process has its own connections.
            async with backend or settings.upstream.backend() as upstream:
                state.backend = upstream
                yield
                state.backend = None
        finally:
            await store.close()

    return lifespan


def _wrapped(app: ASGIApp, settings: ApiSettings, stopping: asyncio.Event) -> ASGIApp:
    """``app`` inside the key check, the body-size limit and CORS, as ``settings`` ask."""
    # Innermost: the turn runner finds each request's caller and the server's stop there.
    app = watched(app, stopping)
    if settings.api_key:
        app = require_key(app, settings.api_key, public_path)
    app = limit_body(app, settings.http.max_body_bytes)
    if settings.cors_origins:
        # Outermost: preflights are answered before the key is asked for, and every answer,
        # a 401 included, carries the CORS headers a browser needs to read it.
        app = CORSMiddleware(
            app,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "x-api-key",
                "anthropic-version",
                "anthropic-beta",
            ],
        )
    return app


def make_settings_store(settings: ApiSettings) -> ConversationStore:
    """The conversation store ``settings`` name (not yet opened)."""
    kept = settings.store
    return make_store(kept.url, ttl=kept.ttl, cap=kept.cap, key=kept.key)
