"""The OpenAI-compatible HTTP server (``g4f api``). Needs the ``api`` extra (FastAPI, uvicorn).

Example::

    from g4f.api import ApiSettings, ApiThread

    with ApiThread(ApiSettings(url="http://127.0.0.1:8765")) as base_url:
        ...  # point an OpenAI client at base_url + "/v1"
"""

from __future__ import annotations

try:
    from .app import ApiSettings, ConversationStore, create_app
    from .server import ApiThread, run, serve
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if exc.name not in ("fastapi", "uvicorn", "starlette", "pydantic"):
        raise
    raise ImportError(
        "the API server needs FastAPI and uvicorn: pip install 'g4f-bing[api]'"
    ) from exc

__all__ = ["ApiSettings", "ApiThread", "ConversationStore", "create_app", "run", "serve"]
