"""Earlier messages folded into one context block: the seed's history format (CHATHUB.md §6).

Every entry point — the seed's ``_create_completion``, ``g4f.ChatCompletion``, the OpenAI-style
``Client`` and ``g4f api`` — folds messages here, so the same messages reach the service as the
same text whichever way they came in.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["fold", "format_context"]


def format_context(messages: Sequence[tuple[str, str]]) -> str:
    """The context block for ``(role, content)`` pairs: ``"[role](#message)\\ncontent\\n\\n"``
    each, in order — the seed's ``convert``, for every role (a system message included).

    >>> format_context([("system", "Be brief."), ("user", "Hi")])
    '[system](#message)\\nBe brief.\\n\\n[user](#message)\\nHi\\n\\n'
    """
    return "".join(f"[{role}](#message)\n{content}\n\n" for role, content in messages)


def fold(messages: Sequence[tuple[str, str]]) -> tuple[str, str | None]:
    """The prompt (the last message's content) and the context of the earlier ones, if any.

    >>> fold([("user", "Hi"), ("assistant", "Hello!"), ("user", "How are you?")])
    ('How are you?', '[user](#message)\\nHi\\n\\n[assistant](#message)\\nHello!\\n\\n')
    """
    if not messages:
        raise ValueError("there are no messages to fold")
    *earlier, (_, prompt) = messages
    return prompt, format_context(earlier) or None
