"""What the hub sends for one Microsoft 365 Copilot turn, per scenario (M365-CHATHUB.md §3–§5).

Pure: a scenario is a function from a :class:`M365Plan` to the steps the hub plays — websocket
messages, a wait for the client's ``stop``, a close. :data:`M365_SCENARIOS` lists them with a
line each (``g4f hub --help`` shows them).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ...protocol.constants import RecordType
from ...protocol.framing import Record, encode_record, encode_records
from ..records import completion_record, failure_final, throttling
from ..steps import HOSTILE_SECONDS, Abort, CloseSocket, Send
from .spec import (
    METRICS_TARGET,
    SERVICE_VERSION,
    STOPPED_TEXT,
    UNKNOWN_TONE_ERROR,
    UPDATE_TARGET,
    Result,
)

__all__ = [
    "M365_SCENARIOS",
    "STOPPED_TEXT",
    "THROTTLED_UPGRADE",
    "Completed",
    "M365Plan",
    "M365Scenario",
    "WaitForStop",
    "check_m365_scenario",
    "m365_script",
    "stop_acknowledgement",
]

_TOKEN = re.compile(r"\s*\S+")
THROTTLED_UPGRADE = "throttled-upgrade"
"""The scenario answered at the upgrade (429 with ``Retry-After``), before any turn."""
RATE_NOTICE = (
    "I'm sorry, I'm temporarily unable to respond to this many requests. Please try again later."
)
"""§5: a rate-limit notice sent as the answer's text (the reference quotes its words)."""
CANNED_REPLY = "Sorry, I wasn't able to respond to that. Is there something else I can help with?"
"""§3: the canned reply of a "registered but dead" tone (``contentOrigin: BotConnection``)."""
HOST_EXAMPLE = "substrate.office.com"
"""The host the echo scenarios name in the URL they repeat (any would do)."""


@dataclass(frozen=True, slots=True)
class WaitForStop:
    """Wait (at most ``seconds``) for the client's ``stop``; go on with the script if none came."""

    seconds: float = HOSTILE_SECONDS


@dataclass(frozen=True, slots=True)
class Completed:
    """The turn's final record and completion have been sent: the answer is in the history."""


M365Step = Send | CloseSocket | Abort | WaitForStop | Completed


@dataclass(frozen=True, slots=True)
class M365Plan:
    """What a script needs to know about the turn it plays."""

    conversation_id: str
    request_id: str
    prompt: str
    answer: str
    used: int
    limit: int
    expiry_time: str
    sources: tuple[tuple[str, str], ...] = ()
    suggestions: tuple[str, ...] = ()
    search_query: str | None = None
    token: str = field(default="", repr=False)
    """The access token the client sent in the upgrade's query (the ``echo-*`` scenarios
    repeat it back, as a hostile or careless server might)."""


def _update(argument: dict[str, Any]) -> Record:
    return {"type": int(RecordType.INVOCATION), "target": UPDATE_TARGET, "arguments": [argument]}


def _delta(piece: str, nonce: int) -> Record:
    return _update(
        {
            "writeAtCursor": piece,
            "streamingMode": "Delta",
            "nonce": str(nonce),
            "cursor": {"j": "$['messages'][-1]['text']", "p": -1},
        }
    )


def _bot_message(plan: M365Plan, text: str, **extra: Any) -> dict[str, Any]:
    """The answer message as the service sends it (no ``messageType``: it is the answer)."""
    message: dict[str, Any] = {
        "author": "bot",
        "text": text,
        "messageId": f"{plan.request_id}-a",
        "contentOrigin": "DeepLeo",
        "adaptiveCards": [
            {
                "type": "AdaptiveCard",
                "version": "1.0",
                "body": [{"type": "TextBlock", "text": text}],
            }
        ],
    }
    message.update(extra)
    return message


def _snapshot(plan: M365Plan, text: str, **extra: Any) -> Record:
    return _update({"messages": [_bot_message(plan, text, **extra)]})


def _other(plan: M365Plan, kind: str, text: str, suffix: str, **extra: Any) -> dict[str, Any]:
    return {
        "author": "bot",
        "text": text,
        "hiddenText": text,
        "messageId": f"{plan.request_id}-{suffix}",
        "messageType": kind,
        **extra,
    }


def _pieces(text: str) -> list[str]:
    """The answer as the deltas carry it: a word (with its leading space) at a time."""
    pieces = [m.group() for m in _TOKEN.finditer(text)]
    tail = text[sum(map(len, pieces)) :]
    return [*pieces[:-1], pieces[-1] + tail] if pieces else ([text] if text else [])


def _metrics_echo() -> Record:
    return {"type": int(RecordType.INVOCATION), "target": METRICS_TARGET, "arguments": [{}]}


def _throttling(plan: M365Plan) -> Record:
    return _update({"throttling": throttling(plan.used, plan.limit)})


def _final(plan: M365Plan, answer: dict[str, Any] | None, *extra: dict[str, Any]) -> Record:
    user = {"author": "user", "text": plan.prompt, "messageId": plan.request_id}
    item: dict[str, Any] = {
        "messages": [user, *extra, *([answer] if answer is not None else [])],
        "firstNewMessageIndex": 1,
        "conversationId": plan.conversation_id,
        "requestId": plan.request_id,
        "conversationExpiryTime": plan.expiry_time,
        "turnState": "Completed",
        "throttling": throttling(plan.used, plan.limit),
        "conversationTransferToken": "hub-transfer-token",
        "result": {
            "value": Result.SUCCESS.value,
            "message": answer.get("text", "") if answer is not None else "",
            "serviceVersion": SERVICE_VERSION,
        },
    }
    return {"type": int(RecordType.STREAM_ITEM), "invocationId": "0", "item": item}


def _ending(
    plan: M365Plan, answer: dict[str, Any] | None, *extra: dict[str, Any]
) -> list[M365Step]:
    """The final record and the completion, then the type-7 close the service sends after a
    completed turn, then the websocket's close."""
    return [
        Send(encode_records(_final(plan, answer, *extra), completion_record("0"))),
        Completed(),
        Send(encode_record({"type": int(RecordType.CLOSE), "allowReconnect": True})),
        CloseSocket(),
    ]


def _answer(plan: M365Plan, text: str | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if plan.sources:
        extra["sourceAttributions"] = [
            {"providerDisplayName": title, "seeMoreUrl": url} for title, url in plan.sources
        ]
    if plan.suggestions:
        extra["suggestedResponses"] = [{"text": s} for s in plan.suggestions]
    return _bot_message(plan, plan.answer if text is None else text, **extra)


def _streamed(plan: M365Plan, *, deltas: bool = True, snapshots: bool = True) -> list[M365Step]:
    """The answer as deltas, a cumulative snapshot after every third (as the service does)."""
    steps: list[M365Step] = []
    text = ""
    for n, piece in enumerate(_pieces(plan.answer), 1):
        text += piece
        records = [_delta(piece, n)] if deltas else []
        if snapshots and (n % 3 == 0 or not deltas):
            records.append(_snapshot(plan, text))
        if records:
            steps.append(Send(encode_records(*records)))
    return steps


def _head(plan: M365Plan) -> list[M365Step]:
    return [Send(encode_records(_metrics_echo(), _throttling(plan)))]


def _references(plan: M365Plan) -> Send:
    done = _other(plan, "ReferencesListComplete", "", "refs")
    return Send(encode_record(_update({"messages": [done]})))


# -- scenarios ------------------------------------------------------------------------------------


def _stream(plan: M365Plan) -> list[M365Step]:
    return [*_head(plan), *_streamed(plan), _references(plan), *_ending(plan, _answer(plan))]


def _deltas(plan: M365Plan) -> list[M365Step]:
    return [*_head(plan), *_streamed(plan, snapshots=False), *_ending(plan, _answer(plan))]


def _snapshots(plan: M365Plan) -> list[M365Step]:
    return [*_head(plan), *_streamed(plan, deltas=False), *_ending(plan, _answer(plan))]


def _markup(plan: M365Plan) -> list[M365Step]:
    # The final text carries a citation marker inside it, and a link, that the deltas did not:
    # it does not extend what was streamed.
    head, dot, tail = plan.answer.partition(".")
    marked = f'{head}{dot} [^1^]{tail}\n\n[1]: https://example.com/ "Example Domain"'
    return [*_head(plan), *_streamed(plan, snapshots=False), *_ending(plan, _answer(plan, marked))]


def _echo_only(plan: M365Plan) -> list[M365Step]:
    # The final record echoes only the user's message: the answer is the last snapshot.
    last = Send(encode_record(_update({"messages": [_answer(plan)]})))
    return [*_head(plan), *_streamed(plan), last, *_ending(plan, None)]


def _search(plan: M365Plan) -> list[M365Step]:
    query = plan.search_query or plan.prompt
    searching = _other(plan, "InternalSearchQuery", f"Searching for: {query}", "q")
    reasoning = _other(
        plan,
        "Progress",
        "Weighing what the sources say",
        "r",
        contentOrigin="ChainOfThoughtSummary",
    )
    loading = _other(plan, "InternalLoaderMessage", "Generating answers for you…", "l")
    sources = plan.sources or (
        ("Example Domain", "https://example.com/"),
        ("Example Org", "https://example.org/"),
    )
    sourced = dataclasses.replace(plan, sources=sources)
    progress = [Send(encode_record(_update({"messages": [m]}))) for m in (searching, reasoning)]
    return [
        *_head(plan),
        *progress,
        progress[1],  # the service repeats a reasoning line now and then
        Send(encode_record(_update({"messages": [loading]}))),
        *_streamed(sourced),
        _references(plan),
        *_ending(sourced, _answer(sourced), searching, loading),
    ]


def _disengaged(plan: M365Plan) -> list[M365Step]:
    """The service declines the prompt: a ``Disengaged`` message, no answer text."""
    disengaged = {
        "author": "bot",
        "messageType": "Disengaged",
        "hiddenText": "> Conversation disengaged",
        "offense": "None",
        "messageId": f"{plan.request_id}-d",
    }
    return [
        *_head(plan),
        Send(encode_record(_update({"messages": [disengaged]}))),
        *_ending(plan, None, disengaged),
    ]


def _throttled(plan: M365Plan) -> list[M365Step]:
    # What an over-used account gets: the counter, and an empty answer.
    return [*_head(plan), *_ending(plan, _bot_message(plan, ""))]


def _half(plan: M365Plan) -> list[M365Step]:
    pieces = _pieces(plan.answer)
    half = dataclasses.replace(plan, answer="".join(pieces[: max(1, len(pieces) // 2)]))
    return [*_head(plan), *_streamed(half, snapshots=False)]


def _stop_wait(plan: M365Plan) -> list[M365Step]:
    # Half the answer, then nothing until the client stops it (or the rest, much later).
    return [*_half(plan), WaitForStop(), *_ending(plan, _answer(plan))]


def _close(plan: M365Plan) -> list[M365Step]:
    return [*_half(plan), CloseSocket()]


def _close_error(plan: M365Plan) -> list[M365Step]:
    close = {"type": int(RecordType.CLOSE), "error": "Connection closed with an error."}
    return [*_half(plan), Send(encode_record(close)), CloseSocket()]


def echoed(token: str) -> str:
    """``token`` repeated back in every form a server might use: as it is, URL-encoded, its
    signature (a JWT's last part) alone, and in a URL's query."""
    encoded = quote(token, safe="")
    signature = token.rsplit(".", 1)[-1]
    return (
        f"invalid token {token}; encoded {encoded}; signature {signature}; "
        f"see wss://{HOST_EXAMPLE}/chathub?access_token={encoded}"
    )


def _echo_close(plan: M365Plan) -> list[M365Step]:
    close = {"type": int(RecordType.CLOSE), "error": echoed(plan.token)}
    return [*_half(plan), Send(encode_record(close)), CloseSocket()]


def _echo_completion(plan: M365Plan) -> list[M365Step]:
    return [*_half(plan), Send(encode_record(completion_record("0", echoed(plan.token))))]


def _echo_result(plan: M365Plan) -> list[M365Step]:
    return [*_half(plan), Send(failure("InternalError", echoed(plan.token)))]


def _ping_storm(plan: M365Plan) -> list[M365Step]:
    ping = Send(encode_records(*([{"type": int(RecordType.PING)}] * 5)))
    return [s for step in _stream(plan) for s in (ping, step)]


# -- the 2026 forms (M365-CHATHUB.md §5) -------------------------------------------------------


def _cursor(plan: M365Plan) -> dict[str, Any]:
    return {"j": f"$['{plan.request_id}-a'].adaptiveCards[0].body[0].text", "p": -1}


def _captured(plan: M365Plan) -> list[M365Step]:
    """The captured 2026 turn's order: throttling; a first snapshot with the cursor; growing
    snapshots; ``writeAtCursor`` deltas (``references``, no ``streamingMode``); the whole text;
    the same with ``isLastUpdate`` and ``scores``; ``patches``; ``ReferencesListComplete``; on
    later turns a snapshot with suggestions after it; the whole turn as type 2; type 3."""
    pieces = _pieces(plan.answer)
    split = max(1, len(pieces) // 3)
    steps: list[M365Step] = [Send(encode_record(_throttling(plan)))]
    text = ""
    for n, piece in enumerate(pieces[:split]):
        text += piece
        snapshot = {"messages": [_bot_message(plan, text)]}
        steps.append(
            Send(encode_record(_update(snapshot | ({"cursor": _cursor(plan)} if n == 0 else {}))))
        )
    for n, piece in enumerate(pieces[split:], 1):
        delta = {"writeAtCursor": piece, "nonce": f"n{n}", "references": {}}
        steps.append(Send(encode_record(_update(delta))))
    whole = _answer(dataclasses.replace(plan, suggestions=()))
    last = whole | {"isLastUpdate": True, "scores": [{"component": "BotOffense", "score": 0.0}]}
    patch = {
        "operationType": 2,
        "op": "replace",
        "path": f"/{plan.request_id}-a/spokenText",
        "value": plan.answer,
        "from": None,
    }
    steps += [
        Send(encode_record(_update({"messages": [whole]}))),
        Send(encode_record(_update({"messages": [last]}))),
        Send(encode_record(_update({"patches": [patch]}))),
        _references(plan),
    ]
    if plan.suggestions:
        steps.append(Send(encode_record(_update({"messages": [_answer(plan)]}))))
    return [*steps, *_ending(plan, _answer(plan))]


def _no_result(plan: M365Plan) -> list[M365Step]:
    """A type 2 whose ``item`` is the user's message itself, without ``result``: the turn
    succeeded, the last snapshot is the answer."""
    user = {"author": "user", "text": plan.prompt, "messageId": plan.request_id}
    final = {"type": int(RecordType.STREAM_ITEM), "invocationId": "0", "item": user}
    return [
        *_head(plan),
        *_streamed(plan),
        Send(encode_record(_update({"messages": [_answer(plan)]}))),
        Send(encode_records(final, completion_record("0"))),
        Completed(),
        CloseSocket(),
    ]


def _result_only(plan: M365Plan) -> list[M365Step]:
    """Nothing streamed, no bot message: the answer only in ``result.message``."""
    final = _final(plan, None)
    final["item"]["result"]["message"] = plan.answer
    return [
        *_head(plan),
        Send(encode_records(final, completion_record("0"))),
        Completed(),
        CloseSocket(),
    ]


def _bare_completion(plan: M365Plan) -> list[M365Step]:
    """What a client whose invocation's shape the service refuses gets: type 3 at once."""
    return [Send(encode_record(completion_record("0"))), CloseSocket()]


def _rate_notice(plan: M365Plan) -> list[M365Step]:
    """The rate-limit notice as the answer's text."""
    return _stream(dataclasses.replace(plan, answer=RATE_NOTICE))


def _thread_rate(plan: M365Plan) -> list[M365Step]:
    """An empty answer, then type 7 (``offense: None``): thread-rate throttling."""
    empty = _bot_message(plan, "", offense="None")
    return [
        *_head(plan),
        Send(encode_record(_update({"messages": [empty]}))),
        Send(encode_record({"type": int(RecordType.CLOSE), "allowReconnect": True})),
        CloseSocket(),
    ]


def _dead_tone(plan: M365Plan) -> list[M365Step]:
    """A "registered but dead" tone: the canned reply from ``BotConnection``."""
    canned = _bot_message(plan, CANNED_REPLY, contentOrigin="BotConnection")
    return [
        *_head(plan),
        Send(encode_record(_update({"messages": [canned]}))),
        *_ending(plan, canned),
    ]


def _refused_at_upgrade(plan: M365Plan) -> list[M365Step]:
    raise ValueError(f"{THROTTLED_UPGRADE!r} is answered at the upgrade")


def stop_acknowledgement(plan: M365Plan) -> str:
    """What the service sends once a ``stop`` arrived: the answer replaced, then the
    completion without error (M365-CHATHUB.md §4)."""
    return encode_records(_snapshot(plan, STOPPED_TEXT), completion_record("0"))


@dataclass(frozen=True, slots=True)
class M365Scenario:
    """A Microsoft 365 Copilot turn scenario: its name, what it plays, and its script."""

    name: str
    summary: str
    script: Callable[[M365Plan], list[M365Step]] | None = field(default=None, repr=False)
    """``None`` for ``cassette``, which the hub plays from its recording."""


M365_SCENARIOS: Mapping[str, M365Scenario] = {
    s.name: s
    for s in (
        M365Scenario(
            "stream",
            "Metrics echo, throttling, deltas with a snapshot every third, references "
            "complete, final, completion, type-7 close",
            _stream,
        ),
        M365Scenario("deltas", "writeAtCursor deltas only, then the final record", _deltas),
        M365Scenario("snapshots", "cumulative snapshots only, then the final record", _snapshots),
        M365Scenario("markup", "deltas; the final text adds citation markup", _markup),
        M365Scenario("echo-only", "the final record echoes only the user's message", _echo_only),
        M365Scenario("search", "search and reasoning progress, then the answer", _search),
        M365Scenario("disengaged", "the service declines the prompt (Disengaged)", _disengaged),
        M365Scenario("throttled", "an empty answer with the throttling counter", _throttled),
        M365Scenario("stop-wait", "half the answer, then waits for the client's stop", _stop_wait),
        M365Scenario("close", "half the answer, then the websocket closes", _close),
        M365Scenario(
            "close-error", "half the answer, then a type-7 error and a close", _close_error
        ),
        M365Scenario("ping-storm", "a burst of pings between every two messages", _ping_storm),
        M365Scenario(
            "captured-2026",
            "the captured 2026 turn: snapshots with cursor, writeAtCursor with references, "
            "isLastUpdate and scores, patches, suggestions after ReferencesListComplete",
            _captured,
        ),
        M365Scenario("no-result", "the type 2 is the user's message, without result", _no_result),
        M365Scenario("result-only", "nothing streamed: the answer in result.message", _result_only),
        M365Scenario(
            "bare-completion",
            "a bare type 3 at once (the request's shape refused)",
            _bare_completion,
        ),
        M365Scenario(
            THROTTLED_UPGRADE, "429 with Retry-After at the websocket upgrade", _refused_at_upgrade
        ),
        M365Scenario("rate-notice", "the rate-limit notice as the answer's text", _rate_notice),
        M365Scenario("thread-rate", "an empty answer, then a type-7 close", _thread_rate),
        M365Scenario("dead-tone", "the canned BotConnection reply of a dead tone", _dead_tone),
        M365Scenario(
            "echo-close", "half the answer, then a type-7 error echoing the token", _echo_close
        ),
        M365Scenario(
            "echo-completion",
            "half the answer, then a type-3 completion whose error echoes the token",
            _echo_completion,
        ),
        M365Scenario(
            "echo-result",
            "half the answer, then a failed result whose message echoes the token",
            _echo_result,
        ),
        M365Scenario("cassette", "turn n replays turn n of a recorded cassette"),
    )
}
"""Microsoft 365 Copilot turn scenarios by name."""


def check_m365_scenario(name: str) -> str:
    """``name`` if it is a Microsoft 365 Copilot scenario, else ``ValueError`` listing them."""
    if name in M365_SCENARIOS:
        return name
    raise ValueError(f"unknown m365 hub scenario {name!r}; known: {', '.join(M365_SCENARIOS)}")


def m365_script(scenario: str, plan: M365Plan) -> list[M365Step]:
    """The steps the hub plays for one turn under ``scenario``."""
    script = M365_SCENARIOS[check_m365_scenario(scenario)].script
    if script is None:
        raise ValueError(f"{scenario!r} is played by the hub from its recording")
    return script(plan)


def unknown_tone(tone: str) -> str:
    """The type-3 completion with which the service refuses a tone it does not know."""
    return encode_record(completion_record("0", UNKNOWN_TONE_ERROR.format(tone=tone)))


def failure(value: str, message: str, messages: Sequence[dict[str, Any]] = ()) -> str:
    """A failed turn: a type-2 record whose ``result.value`` is not ``Success``, then type 3."""
    final = failure_final("0", value, message, messages=messages)
    return encode_records(final, completion_record("0"))
