"""The model table: every model id this package answers to, in one place.

``g4f.ChatCompletion`` (which provider serves a model), the seed's provider module (its
``model`` list) and the OpenAI surfaces (``/v1/models``, ``model=`` → conversation style) all read
:data:`MODELS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .protocol.constants import Style

__all__ = ["DEFAULT_MODEL", "MODELS", "Model", "seed_models"]

BING_PROVIDER = "g4f.Provider.Providers.Bing"


@dataclass(frozen=True, slots=True)
class Model:
    """One model id.

    Attributes:
        id: what callers pass as ``model``.
        style: the conversation style it stands for.
        provider: the gpt4free-style provider module serving it through
            ``g4f.ChatCompletion``, or ``None`` when only the OpenAI surfaces know it.
    """

    id: str
    style: Style
    provider: str | None = None


DEFAULT_MODEL = "gpt-4"

MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        Model("gpt-4", Style.PRECISE, provider=BING_PROVIDER),  # the seed's; the default style
        Model("bing-creative", Style.CREATIVE),
        Model("bing-balanced", Style.BALANCED),
        Model("bing-precise", Style.PRECISE),
    )
}
"""Model ids → :class:`Model`."""


def seed_models(provider: str) -> list[str]:
    """The ids ``provider`` serves through ``g4f.ChatCompletion`` (its ``model`` list).

    >>> seed_models("g4f.Provider.Providers.Bing")
    ['gpt-4']
    """
    return [m.id for m in MODELS.values() if m.provider == provider]
