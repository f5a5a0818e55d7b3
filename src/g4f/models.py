"""The model table: every model id this package answers to, gathered from the service registry.

``g4f.ChatCompletion`` (which provider serves a model), the seed's provider module (its
``model`` list) and the OpenAI surfaces (``/v1/models``, ``model=`` → conversation style or
tone) all read :data:`MODELS`; :func:`models_of` and :func:`find_model` give one service's.
"""

from __future__ import annotations

from .services.registry import REGISTRY, entry
from .services.spec import Model

__all__ = ["DEFAULT_MODEL", "MODELS", "Model", "find_model", "models_of", "seed_models"]

DEFAULT_MODEL = "gpt-4"
"""The seed's model (Bing's precise style)."""

MODELS: dict[str, Model] = {m.id: m for e in REGISTRY.values() for m in e.models}
"""Model ids → :class:`Model`."""


def models_of(service: str) -> list[Model]:
    """The listed models of ``service``."""
    return list(entry(service).models)


def find_model(model_id: str, service: str) -> Model | None:
    """The model ``model_id`` names for ``service``, or ``None``: a listed id, or, for a
    service with a model prefix, ``<prefix><tone>`` with any tone.

    >>> find_model("m365/Gpt_Quick", "m365").tone
    'Gpt_Quick'
    """
    return entry(service).find_model(model_id)


def seed_models(provider: str) -> list[str]:
    """The ids ``provider`` serves through ``g4f.ChatCompletion`` (its ``model`` list).

    >>> seed_models("g4f.Provider.Providers.Bing")
    ['gpt-4']
    """
    return [m.id for m in MODELS.values() if m.provider == provider]
