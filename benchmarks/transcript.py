"""A deterministic transcript of a long answer, in the exact record shapes of CHATHUB.md.

``transcript(chars=4000, updates=400)`` returns the websocket messages a server sends for one
turn: cumulative type-1 updates (a search progress line, then the answer growing word by word,
with adaptive cards), some packed two to a message, then the final record (with sources and
suggestions) and the completion.
"""

from __future__ import annotations

import random

from g4f.hub.bing.records import bot_message, final_record, progress_message, update_record
from g4f.hub.records import completion_record
from g4f.protocol import encode_record, encode_records
from g4f.services.bing import MessageType

__all__ = ["answer_text", "transcript"]

_WORDS = [
    "the",
    "protocol",
    "streams",
    "cumulative",
    "text",
    "over",
    "a",
    "websocket",
    "and",
    "every",
    "update",
    "carries",
    "the",
    "whole",
    "answer",
    "so",
    "far",
    "with",
    "cards",
    "sources",
    "footnotes",
    "and",
    "suggestions",
    "while",
    "the",
    "client",
    "computes",
    "deltas",
    "by",
    "prefix",
    "ChatHub",
    "SignalR",
    "record",
    "separator",
    "invocation",
    "completion",
    "throttling",
]
SOURCES = (
    ("Example Domain", "https://example.com/"),
    ("Example Org", "https://example.org/"),
    ("Example Net", "https://example.net/"),
)
TIMESTAMP = "2023-04-28T15:46:21+00:00"


def answer_text(chars: int, seed: int = 0) -> str:
    """Deterministic text of about ``chars`` characters (whole words, with punctuation)."""
    rng = random.Random(seed)
    words: list[str] = []
    length = 0
    while length < chars:
        word = rng.choice(_WORDS)
        if rng.random() < 0.08:
            word += "."
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:chars].rstrip()


def _prefixes(text: str, count: int) -> list[str]:
    """``count`` distinct cumulative prefixes, on word boundaries where there are enough."""
    ends = [i for i, c in enumerate(text) if c == " "] + [len(text)]
    if len(ends) < count:
        ends = list(range(1, len(text) + 1))
    count = min(count, len(ends))
    picks = [ends[(i + 1) * len(ends) // count - 1] for i in range(count)]
    return [text[:end] for end in picks]


def transcript(chars: int = 4000, updates: int = 400, seed: int = 0) -> list[str]:
    """The server's websocket messages for one turn whose answer has ``chars`` characters."""
    text = answer_text(chars, seed)
    request_id, message_id = "r0", "m0"
    records = [
        update_record(
            request_id,
            [
                progress_message(
                    "Searching for: chathub protocol",
                    MessageType.INTERNAL_SEARCH_QUERY,
                    "q0",
                    timestamp=TIMESTAMP,
                )
            ],
        )
    ]
    for prefix in _prefixes(text, updates):
        message = bot_message(prefix, message_id, timestamp=TIMESTAMP, sources=SOURCES)
        records.append(update_record(request_id, [message]))
    answer = bot_message(
        text,
        message_id,
        timestamp=TIMESTAMP,
        sources=SOURCES,
        search_query="chathub",
        suggestions=("Tell me more.", "Give an example."),
    )
    final = final_record(
        "0",
        prompt="Explain ChatHub",
        answer=answer,
        conversation_id="c0",
        request_id=request_id,
        expiry_time=TIMESTAMP,
        used=1,
        limit=30,
    )
    messages: list[str] = []
    for i, record in enumerate(records):
        if i % 5 == 4 and messages:  # every fifth update shares a message with the one before
            messages[-1] += encode_record(record)
        else:
            messages.append(encode_record(record))
    messages.append(encode_records(final, completion_record("0")))
    return messages
