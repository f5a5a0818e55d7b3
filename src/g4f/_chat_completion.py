"""``g4f.ChatCompletion``: gpt4free's entry point, resolving a model to its provider."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from .models import MODELS

__all__ = ["ChatCompletion"]


def _provider_for(model: str) -> ModuleType:
    """The module of ``model``'s provider (imported on first use), from the model table."""
    entry = MODELS.get(model)
    if entry is None or entry.provider is None:
        known = ", ".join(sorted(m.id for m in MODELS.values() if m.provider))
        raise ValueError(f"unknown model {model!r}; this package serves: {known}")
    return importlib.import_module(entry.provider)


class ChatCompletion:
    """gpt4free's ``ChatCompletion`` namespace."""

    @staticmethod
    def create(
        model: str,
        messages: list[dict[str, str]],
        provider: ModuleType | None = None,
        stream: bool = False,
        auth: bool = False,
        **kwargs: Any,
    ) -> str | Iterator[str]:
        """Run ``messages`` through a provider: a token iterator if ``stream``, else the text.

        ``provider`` defaults to the model's provider (``gpt-4`` → Bing). Extra keyword arguments
        go to the provider (for Bing: ``url``, ``cookies``, ``style``, ``proxy``, ``timeouts``,
        or ``backend``, a ready :class:`~g4f.engine.backend.Backend` to run the turn on).
        Problems are exceptions — ``ValueError`` for an unknown model or a provider that cannot
        do what was asked — never an exit of the program.

        Example::

            text = g4f.ChatCompletion.create(
                model="gpt-4", messages=[{"role": "user", "content": "Hi"}]
            )
        """
        if not isinstance(model, str):
            model = getattr(model, "name", model)
            if not isinstance(model, str):
                raise TypeError("model must be a model name such as 'gpt-4'")
        engine = provider if provider is not None else _provider_for(model)
        if model not in getattr(engine, "model", ()):
            raise ValueError(f"provider {engine.__name__} does not serve model {model!r}")
        if stream and not getattr(engine, "supports_stream", False):
            raise ValueError(f"provider {engine.__name__} does not support streaming")
        if getattr(engine, "needs_auth", False) and not auth:
            raise ValueError(f"provider {engine.__name__} needs auth=True and credentials")
        tokens: Iterator[str] = engine._create_completion(model, messages, stream, **kwargs)
        return tokens if stream else "".join(tokens)
