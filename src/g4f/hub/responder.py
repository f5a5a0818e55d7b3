"""Where the local hub's answers come from: a pluggable responder."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "Reply",
    "Responder",
    "TurnRequest",
    "echo_responder",
    "parse_context",
    "reply_to",
    "words_responder",
]

_CONTEXT_HEADER = re.compile(r"\[([^\]\n]+)\]\(#(?:message|additional_instructions)\)\n")


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What a responder learns about one user turn.

    Attributes:
        prompt: the user's message text.
        context: the ``previousMessages`` context block, if the client sent one.
        history: earlier (prompt, answer) pairs of this server-side conversation.
        style: the invocation's ``tone`` ("Precise", "Balanced", "Creative").
        turn: the number of this turn in the conversation, from 1.
        conversation_id: the conversation's id.
        search: whether web search was allowed (no ``nosearchall`` option set).
    """

    prompt: str
    context: str | None = None
    history: tuple[tuple[str, str], ...] = ()
    style: str = "Precise"
    turn: int = 1
    conversation_id: str = ""
    search: bool = True


@dataclass(frozen=True, slots=True)
class Reply:
    """A responder's answer: text, plus the sources and suggestions to attach to it.

    ``scenario``, when set, overrides the conversation's scenario for this turn (see
    :mod:`g4f.hub.bing.scenarios`), so a responder can pick the situation to play.
    """

    text: str
    sources: tuple[tuple[str, str], ...] = ()
    suggestions: tuple[str, ...] = field(default=())
    search_query: str | None = None
    scenario: str | None = None


Responder = Callable[[TurnRequest], Reply | str]
"""A function from a turn to its answer; a plain string is an answer without extras."""


def reply_to(responder: Responder, request: TurnRequest) -> Reply:
    """``responder``'s answer to ``request`` as a :class:`Reply` (a plain string is one
    without extras): what every side of the hub sends."""
    reply = responder(request)
    return reply if isinstance(reply, Reply) else Reply(text=reply)


def parse_context(context: str | None) -> list[tuple[str, str]]:
    """Split the seed's history block into (role, content) pairs.

    >>> parse_context("[user](#message)\\nHi\\n\\n[assistant](#message)\\nHello!\\n\\n")
    [('user', 'Hi'), ('assistant', 'Hello!')]
    """
    if not context:
        return []
    pieces = _CONTEXT_HEADER.split(context)
    # split() gives [before, role1, content1, role2, content2, ...]
    return [(pieces[i], pieces[i + 1].rstrip("\n")) for i in range(1, len(pieces) - 1, 2)]


QUOTE_LIMIT = 200
"""The most characters of a prompt (or of a context message) the echo responder quotes, so an
answer's size does not grow with what a caller sends."""


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else f"{text[:QUOTE_LIMIT]}…"


def echo_responder(request: TurnRequest) -> Reply:
    """The default responder: deterministic, in any language, and showing what it was told.

    The answer quotes the prompt (so it is never the bare prompt; at most :data:`QUOTE_LIMIT`
    characters of it), counts the history it saw, and names the style and turn, so a test can
    tell that context and conversation state arrived.

    >>> echo_responder(TurnRequest("Hi")).text
    'You said: «Hi». No earlier messages. Style: Precise, turn 1.'
    """
    parts = [f"You said: «{_quote(request.prompt)}»."]
    earlier = parse_context(request.context)
    if earlier:
        role, content = earlier[-1]
        parts.append(
            f"I see {len(earlier)} earlier message(s); the last, from {role}: «{_quote(content)}»."
        )
    elif request.history:
        last_prompt, _ = request.history[-1]
        parts.append(
            f"We spoke {len(request.history)} time(s) before; "
            f"you last said: «{_quote(last_prompt)}»."
        )
    else:
        parts.append("No earlier messages.")
    parts.append(f"Style: {request.style}, turn {request.turn}.")
    return Reply(
        text=" ".join(parts),
        suggestions=("Tell me more.", "Say it again."),
    )


def words_responder(count: int) -> Responder:
    """A responder whose answers are ``count`` words long (streamed one word per update), for
    load tests: the echo answer, then numbered filler words.

    >>> len(words_responder(50)(TurnRequest("Hi")).text.split())
    50
    """
    if count < 1:
        raise ValueError("count must be at least 1")

    def respond(request: TurnRequest) -> Reply:
        words = echo_responder(request).text.split()
        words += [f"w{i}" for i in range(max(0, count - len(words)))]
        return Reply(text=" ".join(words[:count]))

    return respond
