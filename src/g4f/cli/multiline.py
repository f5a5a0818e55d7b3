"""Multi-line questions in the interactive ``g4f chat``: a line ending with a backslash
continues on the next (as in a shell), shown by ``/help``."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["CONTINUATION_PROMPT", "PROMPT", "read_question"]

PROMPT = "> "
CONTINUATION_PROMPT = "… "


def read_question(read: Callable[[str], str] = input) -> str:
    """One question: lines read with ``read`` (``input``) while each ends with ``\\``, joined
    with newlines, the backslashes removed. ``EOFError`` (Ctrl-D) on the first line leaves it;
    on a continuation line it ends the question.

    >>> lines = iter(["first \\\\", "second"])
    >>> read_question(lambda prompt: next(lines))
    'first \\nsecond'
    """
    parts: list[str] = []
    prompt = PROMPT
    while True:
        try:
            line = read(prompt)
        except EOFError:
            if not parts:
                raise
            return "\n".join(parts)
        if not line.endswith("\\"):
            return "\n".join([*parts, line])
        parts.append(line[:-1])
        prompt = CONTINUATION_PROMPT
