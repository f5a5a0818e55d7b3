"""The OpenAI-compatible HTTP server (``g4f api``). Needs the ``api`` extra (FastAPI, uvicorn).

Example::

    from g4f.api import ApiSettings, ApiThread, Upstream

    with ApiThread(ApiSettings(upstream=Upstream(url="http://127.0.0.1:8765"))) as base_url:
        ...  # point an OpenAI client at base_url + "/v1"

:class:`ApiSettings` (the :class:`Upstream`, the :class:`HttpLimits`, the :class:`StoreSettings`)
is importable without the extra; the rest is loaded on first use and says
how to install the extra when it is missing.
"""

from __future__ import annotations

import importlib
from typing import Any

from .settings import ApiSettings, HttpLimits, StoreSettings, Upstream

__all__ = [
    "ApiSettings",
    "ApiThread",
    "ConversationStore",
    "HttpLimits",
    "StoreSettings",
    "Upstream",
    "create_app",
    "run",
    "serve",
]

_LAZY = {
    "ApiThread": ".server",
    "run": ".server",
    "serve": ".server",
    "ConversationStore": ".store",
    "create_app": ".app",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return getattr(importlib.import_module(module, __name__), name)
    except ModuleNotFoundError as exc:
        if exc.name not in ("fastapi", "uvicorn", "starlette", "pydantic", "httptools"):
            raise
        raise ImportError(
            "the API server needs FastAPI, uvicorn and httptools: pip install 'g4f-bing[api]'"
        ) from exc
