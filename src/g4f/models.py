"""The model table: every model id this package answers to, in one place.

``g4f.ChatCompletion`` (which provider serves a model), the seed's provider module (its
``model`` list) and the OpenAI surfaces (``/v1/models``, ``model=`` → conversation style or
Microsoft 365 Copilot tone) all read :data:`MODELS`; :func:`models_of` and :func:`find_model` give
one service's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .protocol.constants import Style
from .services.m365.tones import DEFAULT_TONE, TONES

__all__ = [
    "DEFAULT_MODEL",
    "M365_DEFAULT_MODEL",
    "M365_PREFIX",
    "MODELS",
    "Model",
    "find_model",
    "models_of",
    "seed_models",
]

BING_PROVIDER = "g4f.Provider.Providers.Bing"


@dataclass(frozen=True, slots=True)
class Model:
    """One model id.

    Attributes:
        id: what callers pass as ``model``.
        style: the conversation style it stands for.
        provider: the gpt4free-style provider module serving it through
            ``g4f.ChatCompletion``, or ``None`` when only the OpenAI surfaces know it.
        service: the service it belongs to (``"bing"`` or ``"m365"``).
        tone: Microsoft 365 Copilot's name for the model (``None`` for Bing's).
    """

    id: str
    style: Style
    provider: str | None = None
    service: str = "bing"
    tone: str | None = None


DEFAULT_MODEL = "gpt-4"
M365_DEFAULT_MODEL = "m365-copilot"
M365_PREFIX = "m365/"
"""``m365/<Tone>`` passes any tone through (the service's set changes without notice)."""


def _friendly(tone: str) -> str:
    """``Gpt_5_5_Chat`` → ``m365-gpt-5-5-chat``."""
    return "m365-" + tone.lower().replace("_", "-")


MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        Model("gpt-4", Style.PRECISE, provider=BING_PROVIDER),  # the seed's; the default style
        Model("bing-creative", Style.CREATIVE),
        Model("bing-balanced", Style.BALANCED),
        Model("bing-precise", Style.PRECISE),
        Model(M365_DEFAULT_MODEL, Style.PRECISE, service="m365", tone=DEFAULT_TONE),
        *(
            Model(_friendly(tone), Style.PRECISE, service="m365", tone=tone)
            for tone in TONES
            if tone != DEFAULT_TONE
        ),
    )
}
"""Model ids → :class:`Model`."""


def models_of(service: str) -> list[Model]:
    """The listed models of ``service``."""
    return [m for m in MODELS.values() if m.service == service]


def find_model(model_id: str, service: str) -> Model | None:
    """The model ``model_id`` names for ``service``, or ``None``: a listed id, or, for
    Microsoft 365 Copilot, ``m365/<Tone>`` with any tone.

    >>> find_model("m365/Gpt_Quick", "m365").tone
    'Gpt_Quick'
    """
    entry = MODELS.get(model_id)
    if entry is not None:
        return entry if entry.service == service else None
    tone = model_id[len(M365_PREFIX) :] if model_id.startswith(M365_PREFIX) else ""
    if service == "m365" and tone.strip():
        return Model(model_id, Style.PRECISE, service="m365", tone=tone)
    return None


def seed_models(provider: str) -> list[str]:
    """The ids ``provider`` serves through ``g4f.ChatCompletion`` (its ``model`` list).

    >>> seed_models("g4f.Provider.Providers.Bing")
    ['gpt-4']
    """
    return [m.id for m in MODELS.values() if m.provider == provider]
