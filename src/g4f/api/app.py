"""The OpenAI-compatible HTTP server: ``POST /v1/chat/completions`` and friends, over a
:class:`~g4f.engine.backend.Backend` built through the service registry.

Every error answer, whoever raises it (FastAPI's routing and validation, the middleware, the
upstream), is in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``
(:mod:`g4f.api.errors`). The routes are in :mod:`g4f.api.routes`, the chat completions in
:mod:`g4f.api.chat`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from .. import __version__
from ..engine.backend import Backend
from .chat import ChatCompletions
from .errors import error_response, install_handlers
from .middleware import ASGIApp, limit_body, require_key
from .routes import Readiness, Served, router, served
from .settings import ApiSettings
from .store import ConversationStore, make_store

__all__ = ["ApiSettings", "create_app", "error_response", "make_settings_store"]


def create_app(
    settings: ApiSettings | None = None,
    *,
    backend: Backend | None = None,
    stopping: asyncio.Event | None = None,
) -> ASGIApp:
    """The ASGI application: FastAPI, inside the key check, the body-size limit and CORS.

    Args:
        settings: how the server runs (the defaults: Bing's service, a memory store).
        backend: the upstream to use instead of the one ``settings.upstream`` builds (e.g. a
            :class:`~g4f.engine.fake.FakeBackend` in a test); the app closes it as it stops.
        stopping: set by the server when it begins to stop: the turns still running end, a
            stream with a last error event saying so (:mod:`g4f.api.server` sets it).

    Example::

        import uvicorn
        upstream = Upstream(url="http://127.0.0.1:8765")
        uvicorn.run(create_app(ApiSettings(upstream=upstream)), port=1337)
    """
    settings = settings or ApiSettings()
    store = make_settings_store(settings)

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

    app = FastAPI(
        title="g4f-bing",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.conversations = store
    app.state.served = Served(
        settings.upstream.service,
        Readiness(settings.ready_cache),
        ChatCompletions(settings, store, stopping),
    )
    install_handlers(app)
    app.include_router(router)
    return _wrapped(app, settings)


def _wrapped(app: ASGIApp, settings: ApiSettings) -> ASGIApp:
    """``app`` inside the key check, the body-size limit and CORS, as ``settings`` ask."""
    if settings.api_key:
        app = require_key(app, settings.api_key)
    app = limit_body(app, settings.http.max_body_bytes)
    if settings.cors_origins:
        # Outermost: preflights are answered before the key is asked for, and every answer,
        # a 401 included, carries the CORS headers a browser needs to read it.
        app = CORSMiddleware(
            app,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


def make_settings_store(settings: ApiSettings) -> ConversationStore:
    """The conversation store ``settings`` name (not yet opened)."""
    kept = settings.store
    return make_store(kept.url, ttl=kept.ttl, cap=kept.cap, key=kept.key)
