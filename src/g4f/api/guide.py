"""Answers that tell a caller what to do: a 404 listing the routes that exist (and how to have
the docs), and a body sent without ``Content-Type: application/json``."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

__all__ = ["not_found_message", "not_json_message", "routes_of"]


def routes_of(app: FastAPI) -> tuple[list[str], bool]:
    """``METHOD /path`` of each API route ``app`` serves (those in its OpenAPI schema, built
    once and kept by FastAPI), and whether it serves ``/docs``."""
    paths = app.openapi().get("paths", {})
    served = [f"{method.upper()} {path}" for path, ops in paths.items() for method in ops]
    docs = any(getattr(route, "path", None) == "/docs" for route in app.routes)
    return served, docs


def not_found_message(method: str, path: str, served: Sequence[str], docs: bool) -> str:
    """The 404's message for a path no route serves: what exists, how to have the docs."""
    listed = ", ".join([*served, *(["GET /docs"] if docs else [])])
    hint = "" if docs else " The interactive docs (/docs) are served with `g4f api --docs`."
    return f"No route {method} {path}. The API serves: {listed}.{hint}"


def not_json_message(content_type: str) -> str:
    """The 415's message for a body not declared as JSON."""
    sent = f"Content-Type: {content_type}" if content_type else "no Content-Type"
    return f"The body must be JSON, sent with Content-Type: application/json (this one had {sent})."
