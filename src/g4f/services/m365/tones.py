"""Microsoft 365 Copilot's models, which it calls tones (M365-CHATHUB.md §3): the one table."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_TONE", "TONES", "known_tones"]

DEFAULT_TONE = "Magic"
TONES: Mapping[str, str] = {
    "Magic": "automatic: the service picks the model (the default)",
    "Gpt_Quick": "a fast GPT model",
    "Gpt_Reasoning": "a GPT model that reasons first (10–30 s)",
    "Claude_Sonnet": "Claude Sonnet",
    "Claude_Sonnet_Reasoning": "Claude Sonnet, reasoning first",
    "Gpt_5_5_Chat": "GPT-5.5 chat",
    "Gpt_5_5_Reasoning": "GPT-5.5, reasoning first",
}
"""The tones seen accepted in 2026, each a model (M365-CHATHUB.md §3). The set changes without
notice: any other tone is passed through, and the service refuses what it does not know."""


def known_tones() -> str:
    """The known tones, for messages: ``"Magic, Gpt_Quick, …"``."""
    return ", ".join(TONES)
