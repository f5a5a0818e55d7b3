"""What the hub sends for one turn, per scenario: pure scripts of websocket messages.

A scenario is chosen per conversation (see :class:`~g4f.hub.server.Hub`). Turn scenarios:

=================== =====================================================================
``stream``          the default: cumulative updates, some packed two to a message, then
                    the final and completion records in one message
``split``           as ``stream``, but one record is split across two websocket messages
``search``          a first bot message, a search step (progress lines), then the answer
                    with sources and suggestions: several bot messages in one turn
``image-first``     the answer's card starts with an ``Image`` element
``apology``         half the answer streams, then an ``Apology`` update retracts it
``turn-limiter``    the answer is a ``TurnLimiter`` message
``fail:VALUE``      a failed final with ``result.value`` VALUE; add ``:noerror`` and/or
                    ``:nomessages`` to leave those fields out (e.g. ``fail:Throttled:noerror``)
``close``           some text, then a type-7 close record and a websocket close
``abrupt``          some text, then the connection drops without a close frame
``silence``         handshake, then nothing at all
``silence-mid``     some text, then nothing
``ping-storm``      a burst of pings between every two updates
``malformed``       some text, then a record that is not JSON
``cassette``        turn *n* replays turn *n* of a recorded cassette (``Hub.from_cassette``)
=================== =====================================================================

Create scenarios make ``GET /turing/conversation/create`` fail: ``create-404``, ``create-429``
(with ``Retry-After: 7``), ``create-403``, ``create-500``, ``create-html`` (a challenge page),
``create-empty``, ``create-not-json``, ``create-missing-ids``, ``create-unauthorized``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..protocol import MessageType, encode_record, encode_records
from ..protocol.framing import Record
from .records import (
    APOLOGY_TEXT,
    TURN_LIMIT_TEXT,
    bot_message,
    close_record,
    completion_record,
    failure_final,
    final_record,
    progress_message,
    update_record,
)
from .responder import Reply

__all__ = [
    "CREATE_SCENARIOS",
    "TURN_SCENARIOS",
    "Abort",
    "CloseSocket",
    "Send",
    "Step",
    "TurnPlan",
    "check_scenario",
    "script",
]

TURN_SCENARIOS = (
    "stream",
    "split",
    "search",
    "image-first",
    "apology",
    "turn-limiter",
    "close",
    "abrupt",
    "silence",
    "silence-mid",
    "ping-storm",
    "malformed",
    "cassette",
)
CREATE_SCENARIOS = (
    "create-404",
    "create-429",
    "create-403",
    "create-500",
    "create-html",
    "create-empty",
    "create-not-json",
    "create-missing-ids",
    "create-unauthorized",
)


def check_scenario(name: str) -> str:
    """Return ``name`` if it is a known scenario, else raise ``ValueError`` listing them."""
    if name in TURN_SCENARIOS or name in CREATE_SCENARIOS:
        return name
    parts = name.split(":")
    if (
        parts[0] == "fail"
        and len(parts) >= 2
        and parts[1]
        and set(parts[2:])
        <= {
            "noerror",
            "nomessages",
        }
    ):
        return name
    known = ", ".join((*TURN_SCENARIOS, "fail:VALUE[:noerror][:nomessages]", *CREATE_SCENARIOS))
    raise ValueError(f"unknown hub scenario {name!r}; known: {known}")


@dataclass(frozen=True, slots=True)
class Send:
    """Send this text as one websocket message."""

    text: str


@dataclass(frozen=True, slots=True)
class Abort:
    """Drop the connection without a websocket close frame."""


@dataclass(frozen=True, slots=True)
class CloseSocket:
    """Close the websocket cleanly."""


Step = Send | Abort | CloseSocket


@dataclass(frozen=True, slots=True)
class TurnPlan:
    """Everything a script needs to know about the turn it plays."""

    invocation_id: str
    request_id: str
    conversation_id: str
    prompt: str
    reply: Reply
    used: int
    limit: int
    expiry_time: str
    timestamp: str


_TOKEN = re.compile(r"\s*\S+")


def _prefixes(text: str) -> list[str]:
    """The cumulative texts of a stream that adds one word at a time."""
    ends = [m.end() for m in _TOKEN.finditer(text)] or [len(text)]
    if ends[-1] != len(text):
        ends.append(len(text))
    return [text[:end] for end in ends]


def _pack(records: list[Record]) -> Iterator[Step]:
    """One record per message, but every third message packs two, as the service did."""
    i = 0
    while i < len(records):
        if i % 3 == 2 and i + 1 < len(records):
            yield Send(encode_records(records[i], records[i + 1]))
            i += 2
        else:
            yield Send(encode_record(records[i]))
            i += 1


class _Turn:
    """Record builders bound to one plan."""

    def __init__(self, plan: TurnPlan) -> None:
        self.plan = plan

    def message(self, text: str, suffix: str = "a", **kwargs: Any) -> dict[str, Any]:
        return bot_message(
            text, f"{self.plan.request_id}-{suffix}", timestamp=self.plan.timestamp, **kwargs
        )

    def updates(self, text: str, suffix: str = "a", **kwargs: Any) -> list[Record]:
        return [
            update_record(self.plan.request_id, [self.message(p, suffix, **kwargs)])
            for p in _prefixes(text)
        ]

    def answer(self, **kwargs: Any) -> dict[str, Any]:
        reply = self.plan.reply
        return self.message(
            reply.text,
            sources=reply.sources,
            search_query=reply.search_query,
            suggestions=reply.suggestions,
            **kwargs,
        )

    def final(self, answer: dict[str, Any], *extra: dict[str, Any]) -> Step:
        plan = self.plan
        return Send(
            encode_records(
                final_record(
                    plan.invocation_id,
                    prompt=plan.prompt,
                    answer=answer,
                    conversation_id=plan.conversation_id,
                    request_id=plan.request_id,
                    expiry_time=plan.expiry_time,
                    used=plan.used,
                    limit=plan.limit,
                    extra_messages=extra,
                ),
                completion_record(plan.invocation_id),
            )
        )

    def half(self) -> list[Record]:
        text = self.plan.reply.text
        return self.updates(text[: max(1, len(text) // 2)])


def script(scenario: str, plan: TurnPlan) -> list[Step]:
    """The websocket messages the hub sends for one turn under ``scenario``."""
    turn = _Turn(plan)
    text = plan.reply.text
    if scenario.startswith("fail:"):
        return _failure(scenario, turn)
    if scenario in ("stream", "split", "ping-storm"):
        steps = [*_pack(turn.updates(text)), turn.final(turn.answer())]
        if scenario == "split":
            steps = _split_first_long(steps)
        if scenario == "ping-storm":
            ping = Send(encode_records(*([{"type": 6}] * 5)))
            steps = [s for step in steps for s in (ping, step)]
        return steps
    if scenario == "search":
        return _search(turn)
    if scenario == "image-first":
        return [
            *_pack(turn.updates(text, image_first=True)),
            turn.final(turn.answer(image_first=True)),
        ]
    if scenario == "apology":
        apology = turn.message(APOLOGY_TEXT, content_origin="Apology")
        return [
            *_pack(turn.half()),
            Send(encode_record(update_record(plan.request_id, [apology]))),
            turn.final(apology),
        ]
    if scenario == "turn-limiter":
        limiter = turn.message(TURN_LIMIT_TEXT, content_origin="TurnLimiter")
        return [Send(encode_record(update_record(plan.request_id, [limiter]))), turn.final(limiter)]
    if scenario == "close":
        return [*_pack(turn.half()), Send(encode_record(close_record())), CloseSocket()]
    if scenario == "abrupt":
        return [*_pack(turn.half()), Abort()]
    if scenario == "silence":
        return []
    if scenario == "silence-mid":
        return list(_pack(turn.half()))
    if scenario == "malformed":
        return [*_pack(turn.half()), Send('{"type": 1, "target": "update", "arguments": [\x1e')]
    raise ValueError(f"{scenario!r} is not a turn scenario")


def _split_first_long(steps: list[Step]) -> list[Step]:
    """Split the first message longer than 20 characters into two websocket messages."""
    for i, step in enumerate(steps):
        if isinstance(step, Send) and len(step.text) > 20:
            cut = len(step.text) // 2
            return [*steps[:i], Send(step.text[:cut]), Send(step.text[cut:]), *steps[i + 1 :]]
    return steps


def _search(turn: _Turn) -> list[Step]:
    plan = turn.plan
    query = plan.reply.search_query or plan.prompt
    sources = plan.reply.sources or (
        ("Example Domain", "https://example.com/"),
        ("Example Org", "https://example.org/"),
    )
    intro_text = "Let me look that up."
    intro = turn.message(intro_text, "intro")
    searching = progress_message(
        f"Searching for: {query}",
        MessageType.INTERNAL_SEARCH_QUERY,
        f"{plan.request_id}-q",
        timestamp=plan.timestamp,
    )
    generating = progress_message(
        "Generating answers for you…",
        MessageType.INTERNAL_LOADER_MESSAGE,
        f"{plan.request_id}-l",
        timestamp=plan.timestamp,
    )
    answer = turn.message(
        plan.reply.text,
        sources=sources,
        search_query=query,
        suggestions=plan.reply.suggestions,
    )
    progress = [update_record(plan.request_id, [m]) for m in (searching, searching, generating)]
    return [
        *_pack(turn.updates(intro_text, "intro")),
        *_pack(progress),
        *_pack(turn.updates(plan.reply.text, sources=sources, search_query=query)),
        turn.final(answer, intro, searching, generating),
    ]


def _failure(scenario: str, turn: _Turn) -> list[Step]:
    _, value, *flags = scenario.split(":")
    plan = turn.plan
    messages = (
        None
        if "nomessages" in flags
        else [{"author": "user", "text": plan.prompt, "messageId": plan.request_id}]
    )
    message = f"The hub's {value} scenario."
    return [
        *_pack(turn.half()),
        Send(
            encode_records(
                failure_final(
                    plan.invocation_id,
                    value,
                    message,
                    with_error="noerror" not in flags,
                    messages=messages,
                ),
                completion_record(plan.invocation_id),
            )
        ),
    ]
