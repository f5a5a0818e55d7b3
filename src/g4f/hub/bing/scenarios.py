"""What the hub sends for one turn, per scenario: pure scripts of websocket messages.

A scenario is chosen per conversation (see :class:`~g4f.hub.bing.BingHub`). The registries
:data:`TURN_SCENARIOS` (name → script) and :data:`CREATE_SCENARIOS` (name → the failing create
response) list them with a line each; :func:`usage` names them all for help texts. Besides them,
``fail:VALUE`` plays a failed final record with ``result.value`` VALUE (add ``:noerror`` and/or
``:nomessages`` to leave those fields out, e.g. ``fail:Throttled:noerror``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...protocol.framing import Record, encode_record, encode_records
from ..growing import prefixes
from ..records import completion_record, failure_final
from ..responder import Reply
from ..steps import Abort, CloseSocket, Repeat, Send
from .records import (
    bot_message,
    close_record,
    final_record,
    progress_message,
    update_record,
)
from .spec import APOLOGY_TEXT, TURN_LIMIT_TEXT, ContentOrigin, MessageType

__all__ = [
    "CREATE_SCENARIOS",
    "TURN_SCENARIOS",
    "CreateFailure",
    "Scenario",
    "Step",
    "TurnPlan",
    "check_scenario",
    "script",
    "usage",
]


Step = Send | Repeat | Abort | CloseSocket


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
            for p in prefixes(text)
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


# -- turn scenarios -----------------------------------------------------------------------------


def _stream(turn: _Turn) -> list[Step]:
    return [*_pack(turn.updates(turn.plan.reply.text)), turn.final(turn.answer())]


def _split(turn: _Turn) -> list[Step]:
    return _split_first_long(_stream(turn))


def _ping_storm(turn: _Turn) -> list[Step]:
    ping = Send(encode_records(*([{"type": 6}] * 5)))
    return [s for step in _stream(turn) for s in (ping, step)]


def _image_first(turn: _Turn) -> list[Step]:
    return [
        *_pack(turn.updates(turn.plan.reply.text, image_first=True)),
        turn.final(turn.answer(image_first=True)),
    ]


def _apology(turn: _Turn) -> list[Step]:
    apology = turn.message(APOLOGY_TEXT, content_origin=ContentOrigin.APOLOGY.value)
    return [
        *_pack(turn.half()),
        Send(encode_record(update_record(turn.plan.request_id, [apology]))),
        turn.final(apology),
    ]


def _turn_limiter(turn: _Turn) -> list[Step]:
    limiter = turn.message(TURN_LIMIT_TEXT, content_origin=ContentOrigin.TURN_LIMITER.value)
    return [
        Send(encode_record(update_record(turn.plan.request_id, [limiter]))),
        turn.final(limiter),
    ]


def _close(turn: _Turn) -> list[Step]:
    return [*_pack(turn.half()), Send(encode_record(close_record())), CloseSocket()]


def _abrupt(turn: _Turn) -> list[Step]:
    return [*_pack(turn.half()), Abort()]


def _silence(turn: _Turn) -> list[Step]:
    return []


def _silence_mid(turn: _Turn) -> list[Step]:
    return list(_pack(turn.half()))


def _malformed(turn: _Turn) -> list[Step]:
    return [*_pack(turn.half()), Send('{"type": 1, "target": "update", "arguments": [\x1e')]


# -- hostile servers: what no ChatHub service sends, to prove the client survives it -----------


def _trickle(turn: _Turn) -> list[Step]:
    # Records about nothing (a target the client does not read), forever: only the client's
    # overall turn deadline ends this.
    idle = encode_record({"type": 1, "target": "heartbeat", "arguments": []})
    return [*_pack(turn.half()), Repeat(idle, interval=0.05)]


def _endless_record(turn: _Turn) -> list[Step]:
    start = '{"type":1,"target":"update","arguments":[{"messages":[{"text":"'
    return [*_pack(turn.half()), Send(start), Repeat("x" * 65536)]


def _huge_message(turn: _Turn) -> list[Step]:
    # Well-formed, but 5 MiB (past a client's default 4 MiB): refused by its size, unparsed.
    huge = '{"type":1,"target":"update","arguments":[{"padding":"' + "y" * (5 << 20) + '"}]}\x1e'
    return [*_pack(turn.half()), Send(huge)]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A turn scenario: its name, what it plays, and the script that plays it (``None`` for
    ``cassette``, which the hub plays from its recording)."""

    name: str
    summary: str
    script: Callable[[_Turn], list[Step]] | None = field(default=None, repr=False)


TURN_SCENARIOS: Mapping[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("stream", "cumulative updates, some packed two to a message, then final", _stream),
        Scenario("split", "as stream, one record split across two messages", _split),
        Scenario("search", "an intro, search progress, then the answer with sources", _search),
        Scenario("image-first", "the answer's card starts with an Image element", _image_first),
        Scenario("apology", "half the answer, then an Apology retracts it", _apology),
        Scenario("turn-limiter", "the answer is a TurnLimiter message", _turn_limiter),
        Scenario("close", "some text, then a type-7 close and a websocket close", _close),
        Scenario("abrupt", "some text, then the connection drops", _abrupt),
        Scenario("silence", "handshake, then nothing at all", _silence),
        Scenario("silence-mid", "some text, then nothing", _silence_mid),
        Scenario("ping-storm", "a burst of pings between every two updates", _ping_storm),
        Scenario("malformed", "some text, then a record that is not JSON", _malformed),
        Scenario("cassette", "turn n replays turn n of a recorded cassette"),
        Scenario("upgrade-hang", "hostile: the websocket upgrade is never answered"),
        Scenario(
            "trickle", "hostile: some text, then a record about nothing every 50 ms", _trickle
        ),
        Scenario(
            "endless-record", "hostile: some text, then a record that never ends", _endless_record
        ),
        Scenario(
            "huge-message", "hostile: some text, then an 8 MiB websocket message", _huge_message
        ),
    )
}
"""Turn scenarios by name (``fail:VALUE[:noerror][:nomessages]`` is a family besides them)."""

FAIL_SCENARIO = "fail:VALUE[:noerror][:nomessages]"
_FAIL_FLAGS = frozenset({"noerror", "nomessages"})


# -- create scenarios ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateFailure:
    """What a failing ``GET /turing/conversation/create`` answers."""

    name: str
    summary: str
    status: int = 200
    body: str = ""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    endless: bool = False
    """Hostile: send ``body`` again and again, never ending the response."""


_CHALLENGE_PAGE = (
    "<!DOCTYPE html><html><head><title>Verify you are human</title></head>"
    "<body><h1>One last step</h1><p>Please solve the challenge to continue.</p></body></html>"
)

CREATE_SCENARIOS: Mapping[str, CreateFailure] = {
    f.name: f
    for f in (
        CreateFailure("create-404", "HTTP 404", 404, "Not Found", "text/plain"),
        CreateFailure(
            "create-429",
            "HTTP 429, Retry-After: 7",
            429,
            "Too Many Requests",
            "text/plain",
            {"Retry-After": "7"},
        ),
        CreateFailure("create-403", "HTTP 403", 403, "Forbidden", "text/plain"),
        CreateFailure("create-500", "HTTP 500", 500, "Internal Server Error", "text/plain"),
        CreateFailure(
            "create-html", "a challenge page", body=_CHALLENGE_PAGE, content_type="text/html"
        ),
        CreateFailure("create-empty", "an empty body"),
        CreateFailure(
            "create-not-json",
            "a text body",
            body="conversation service unavailable",
            content_type="text/plain",
        ),
        CreateFailure(
            "create-missing-ids",
            "Success without ids",
            body='{"result": {"value": "Success", "message": null}}',
        ),
        CreateFailure(
            "create-huge",
            "hostile: a 2 MiB JSON body",
            body='{"padding": "' + "z" * (2 << 20) + '"}',
        ),
        CreateFailure(
            "create-endless",
            "hostile: a body that never ends",
            body='{"padding": "' + "z" * 65536,
            endless=True,
        ),
        CreateFailure(
            "create-unauthorized",
            "an UnauthorizedRequest result",
            body='{"result": {"value": "UnauthorizedRequest", "message": '
            '"Sorry, you need to login first to access this service."}}',
        ),
    )
}
"""Create scenarios by name: the create request fails as each says."""


def usage() -> str:
    """Every scenario name, for help texts."""
    return ", ".join((*TURN_SCENARIOS, FAIL_SCENARIO, *CREATE_SCENARIOS))


def check_scenario(name: str) -> str:
    """Return ``name`` if it is a known scenario, else raise ``ValueError`` listing them."""
    if name in TURN_SCENARIOS or name in CREATE_SCENARIOS:
        return name
    kind, _, rest = name.partition(":")
    value, *flags = rest.split(":")
    if kind == "fail" and value and set(flags) <= _FAIL_FLAGS:
        return name
    raise ValueError(f"unknown hub scenario {name!r}; known: {usage()}")


def script(scenario: str, plan: TurnPlan) -> list[Step]:
    """The websocket messages the hub sends for one turn under ``scenario``."""
    turn = _Turn(plan)
    if scenario.startswith("fail:"):
        return _failure(scenario, turn)
    entry = TURN_SCENARIOS.get(scenario)
    if entry is None or entry.script is None:  # cassette and upgrade-hang are the hub's to play
        raise ValueError(f"{scenario!r} is not a turn scenario")
    return entry.script(turn)
