"""Microsoft 365 Copilot's models, which it calls tones (M365-CHATHUB.md §3): the one table,
and the one normaliser every surface calls (``Gpt_Quick`` and ``m365-gpt-quick`` alike)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TONE",
    "TONES",
    "friendly_name",
    "known_tones",
    "normalise_tone",
]

DEFAULT_TONE = "Magic"
DEFAULT_MODEL = "m365-copilot"
"""The model id of the default tone (``Magic``)."""
MODEL_PREFIX = "m365/"
TONES: Mapping[str, str] = {
    "Magic": "automatic: the service picks the model (the default)",
    "Chat": "the service's chat model",
    "Reasoning": "the service's reasoning model (10–30 s)",
    "Gpt_Quick": "a fast GPT model",
    "Gpt_Reasoning": "a GPT model that reasons first (10–30 s)",
    "Gpt_5_5_Chat": "GPT-5.5 chat",
    "Gpt_5_5_Reasoning": "GPT-5.5, reasoning first",
    "Gpt_5_6_Reasoning": "GPT-5.6, reasoning first",
    "Claude_Sonnet": "Claude Sonnet",
    "Claude_Sonnet_Reasoning": "Claude Sonnet, reasoning first",
    "Claude_Opus": "Claude Opus",
}
"""The tones seen accepted in 2026, each a model (M365-CHATHUB.md §3). The set changes without
notice and differs by tenant: any other tone is passed through, and the service refuses what it
does not know (or answers with a canned reply: registered but not available)."""


def friendly_name(tone: str) -> str:
    """The model id of a tone: ``Gpt_5_5_Chat`` → ``m365-gpt-5-5-chat`` (``Magic`` →
    ``m365-copilot``)."""
    if tone == DEFAULT_TONE:
        return DEFAULT_MODEL
    return "m365-" + tone.lower().replace("_", "-")


_BY_KEY = {
    **{tone.lower(): tone for tone in TONES},
    **{friendly_name(tone): tone for tone in TONES},
    **{friendly_name(tone).removeprefix("m365-"): tone for tone in TONES},
    "m365-magic": DEFAULT_TONE,
}


def normalise_tone(name: str) -> str:
    """The tone a user's name means: a tone (any case), its model id (``m365-gpt-quick``), that
    without ``m365-`` (``gpt-quick``), or ``m365/<Tone>``; any other name passes through as the
    tone itself (the service decides). ``ValueError`` for an empty name.

    >>> normalise_tone("m365-gpt-quick"), normalise_tone("Gpt_Quick"), normalise_tone("gpt_quick")
    ('Gpt_Quick', 'Gpt_Quick', 'Gpt_Quick')
    >>> normalise_tone("m365-copilot"), normalise_tone("m365/Future_Tone")
    ('Magic', 'Future_Tone')
    """
    text = name.strip() if isinstance(name, str) else ""
    if text.startswith(MODEL_PREFIX):
        text = text[len(MODEL_PREFIX) :].strip()
    if not text:
        raise ValueError("the tone must be a non-empty string")
    return _BY_KEY.get(text.lower(), text)


def known_tones() -> str:
    """The known tones, for messages: ``"Magic, Chat, …"``."""
    return ", ".join(TONES)
