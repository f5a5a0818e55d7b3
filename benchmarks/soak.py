"""Chaos soak: many sessions through ``g4f api`` against the hub playing faults and hostile
upstreams; counts what became a clean answer, a typed error, an untyped error or a hang, and
the API process's file descriptors and memory before and after.

    python -m benchmarks.soak [--sessions 1000] [--concurrency 25] [--rounds 1] [--new-faults]

Loopback only, bounded in count and time: every request has a hard deadline (a hang is counted,
never waited out), and each hostile scenario ends on its own within the API's deadlines. The API
runs in its own process (``--serve-api``, started by the soak) so that its descriptors and
memory are its own; the hub runs in this process, one scenario after another. With
``--rounds R`` the whole run repeats R times and each process is measured after every round: memory
that levels off is what the allocator keeps for the next peak, memory that keeps growing a leak.

``--new-faults`` adds the faults of issue 21 (:data:`NEW_FAULTS`): endless deltas (an answer of
:data:`ENDLESS_WORDS` one-word updates, which the turn deadline cuts), callers that leave
mid-answer (a non-streamed request abandoned, a streamed one closed after its first chunk: the
upstream websocket must close soon after, not at the turn deadline), and Microsoft 365 turns whose
server echoes the token in its errors (a second API process, on the hub's M365 side: no form of
the token may reach the caller).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from g4f.api.settings import ApiSettings, Upstream
from g4f.client import NO_RETRY, Timeouts
from g4f.hub import Hub, HubThread, echo_responder, make_test_token
from g4f.hub.responder import words_responder
from g4f.urls import Redactor

SCENARIOS = (
    # what a ChatHub service does
    "stream", "search", "apology", "turn-limiter", "ping-storm", "split",
    "fail:Throttled", "fail:CaptchaChallenge", "fail:InvalidSession", "fail:Unknown",
    "close", "abrupt", "malformed", "silence", "silence-mid",
    "create-404", "create-429", "create-403", "create-500", "create-html", "create-empty",
    "create-missing-ids", "create-unauthorized",
    # what a hostile server does
    "upgrade-hang", "trickle", "endless-record", "huge-message", "create-huge", "create-endless",
)  # fmt: skip

ENDLESS_WORDS = 200_000
"""The answer of the endless-deltas fault, one word per update (the turn deadline cuts it)."""
NEW_FAULTS = (
    # issue 21: endless deltas, callers that leave, tokens echoed by the server
    f"words:{ENDLESS_WORDS}",
    "leave-whole:trickle", "leave-stream:trickle", "leave-whole:silence-mid",
    "leave-stream:silence-mid",
    "m365:stream", "m365:echo-close", "m365:echo-completion", "m365:echo-result",
)  # fmt: skip
"""``words:N`` (Bing's side answers N words), ``leave-whole:S`` / ``leave-stream:S`` (scenario S,
the caller leaves mid-answer), ``m365:S`` (the M365 side's scenario S)."""

API_TIMEOUTS = Timeouts(connect=2, create=5, read=2, turn=5, ping_interval=1, close=1)
HANG = 30.0
"""A request still running after this many seconds is a hang."""
LEAVE_AFTER = 0.5
"""How long a leaving caller of a non-streamed answer waits before it goes."""
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Report:
    """What the soak saw."""

    sessions: int = 0
    ok: int = 0
    typed: Counter[str] = field(default_factory=Counter)
    untyped: list[str] = field(default_factory=list)
    hangs: int = 0
    left: int = 0
    """Sessions whose caller left mid-answer (on purpose)."""
    by_scenario: dict[str, Counter[str]] = field(default_factory=dict)
    processes: dict[str, dict[str, int]] = field(default_factory=dict)
    upstream_after_leaving: dict[str, float] = field(default_factory=dict)
    """Per leaving phase: seconds until the hub's turns had ended after the callers left."""
    seconds: float = 0.0

    def count(self, scenario: str, outcome: str, tally: Counter[str]) -> None:
        """Tally one session's ``outcome`` (``ok``, ``hang``, ``left``, ``typed:…``,
        ``untyped:…``)."""
        self.sessions += 1
        tally[outcome.split(":", 1)[0]] += 1
        if outcome == "ok":
            self.ok += 1
        elif outcome == "hang":
            self.hangs += 1
        elif outcome == "left":
            self.left += 1
        elif outcome.startswith("typed:"):
            self.typed[outcome.removeprefix("typed:")] += 1
        else:
            self.untyped.append(f"{scenario}: {outcome.removeprefix('untyped:')}")

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "ok": self.ok,
            "typed_failures": sum(self.typed.values()),
            "typed_by_code": dict(self.typed),
            "untyped_failures": len(self.untyped),
            "untyped_examples": self.untyped[:10],
            "hangs": self.hangs,
            "left_mid_answer": self.left,
            "by_scenario": {k: dict(v) for k, v in self.by_scenario.items()},
            "processes": self.processes,
            "upstream_closed_after_leaving_s": self.upstream_after_leaving,
            "seconds": round(self.seconds, 1),
        }


def usage(pid: int) -> dict[str, int]:
    """Open file descriptors and resident memory (KiB) of process ``pid``."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/statm") as statm:
        rss = int(statm.read().split()[1]) * PAGE // 1024
    return {"fds": fds, "rss_kib": rss}


def classify(status: int, body: bytes, stream: bool) -> str:
    """``ok``, ``typed:<code>`` or ``untyped:<why>`` for one finished response."""
    text = body.decode("utf-8", "replace")
    if stream and status == 200:
        events = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
        if events and events[-1] == "[DONE]":
            return "ok"
        try:
            error = json.loads(events[-1])["error"]
        except (IndexError, ValueError, KeyError, TypeError):
            return f"untyped:stream ended without [DONE] or an error: {text[-120:]!r}"
        return f"typed:{error['code']}"
    try:
        data = json.loads(text)
    except ValueError:
        return f"untyped:HTTP {status} body is not JSON: {text[:120]!r}"
    if status == 200 and "choices" in data:
        return "ok"
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and {"message", "type", "param", "code"} <= set(error):
        return f"typed:{error['code']}"
    return f"untyped:HTTP {status} {text[:120]!r}"


@dataclass(frozen=True)
class Phase:
    """One scenario of a round, parsed from its name (see :data:`NEW_FAULTS`)."""

    name: str
    service: str = "bing"
    scenario: str = "stream"
    words: int | None = None
    leave: str | None = None

    @classmethod
    def of(cls, name: str) -> Phase:
        kind, _, rest = name.partition(":")
        if kind == "words":
            return cls(name, words=int(rest))
        if kind in ("leave-whole", "leave-stream"):
            return cls(name, scenario=rest, leave=kind.removeprefix("leave-"))
        if kind == "m365":
            return cls(name, service="m365", scenario=rest)
        return cls(name, scenario=name)


async def session(
    client: httpx.AsyncClient,
    api: str,
    index: int,
    hang: float = HANG,
    secrets: tuple[str, ...] = (),
) -> str:
    stream = index % 2 == 0
    try:
        async with asyncio.timeout(hang):
            response = await client.post(api + "/v1/chat/completions", json=_body(index, stream))
    except TimeoutError:
        return "hang"
    except httpx.HTTPError as exc:
        return f"untyped:{type(exc).__name__}: {exc}"
    text = response.content.decode("utf-8", "replace")
    leak = Redactor(secrets, patterns=False)  # every form of each secret, in any encoding
    if leak(text) != text:
        return "untyped:a form of the token reached the caller"
    return classify(response.status_code, response.content, stream)


def _body(index: int, stream: bool) -> dict[str, Any]:
    return {  # no model: the service's default (Bing's and Microsoft 365's differ)
        "stream": stream,
        "messages": [{"role": "user", "content": f"Soak session {index}, a few words please"}],
    }


async def leaving(client: httpx.AsyncClient, api: str, index: int, how: str) -> str:
    """A caller that leaves mid-answer: ``whole`` abandons a non-streamed request after
    :data:`LEAVE_AFTER`, ``stream`` closes a stream after its first chunk. ``left``, or the
    outcome if the answer ended first."""
    url = api + "/v1/chat/completions"
    try:
        if how == "whole":
            async with asyncio.timeout(LEAVE_AFTER):
                response = await client.post(url, json=_body(index, False))
            return classify(response.status_code, response.content, False)
        async with asyncio.timeout(HANG), client.stream("POST", url, json=_body(index, True)) as r:
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    return "left"
            return f"untyped:HTTP {r.status_code} stream ended before its first chunk"
    except TimeoutError:
        return "left" if how == "whole" else "hang"
    except httpx.HTTPError as exc:
        return f"untyped:{type(exc).__name__}: {exc}"


async def run_phase(
    api: str,
    count: int,
    concurrency: int,
    first: int,
    *,
    leave: str | None = None,
    hang: float = HANG,
    secrets: tuple[str, ...] = (),
) -> list[str]:
    limits = httpx.Limits(max_connections=concurrency)
    timeout = httpx.Timeout(hang + 5)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> str:
            async with gate:
                if leave is not None:
                    return await leaving(client, api, index, leave)
                return await session(client, api, index, hang, secrets)

        return await asyncio.gather(*(one(first + i) for i in range(count)))


def start_api(
    hub_url: str, timeouts: Timeouts, service: str = "bing", token: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    """The API process (``--serve-api``); a token goes through its environment, not argv."""
    env = {**os.environ, "G4F_SOAK_TOKEN": token} if token else None
    process = subprocess.Popen(
        [
            sys.executable, "-m", "benchmarks.soak", "--serve-api", hub_url,
            "--service", service, "--timeouts", json.dumps(dataclasses.asdict(timeouts)),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    assert process.stderr is not None
    line = process.stderr.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the API did not start: {line}{process.stderr.read()}")
    return process, line.split()[-1]


def serve_api(hub_url: str, service: str = "bing", timeouts: Timeouts = API_TIMEOUTS) -> None:
    """The API process: ``g4f api`` with short upstream deadlines and no retries."""
    from g4f.api.server import listen, run

    # One kept upstream websocket at most: the ones kept for continuing conversations (up to 256
    # by default) would otherwise look like descriptors that did not come back.
    token = os.environ.get("G4F_SOAK_TOKEN")
    upstream = Upstream.of(
        service,
        url=hub_url,
        timeouts=timeouts,
        retry=NO_RETRY,
        idle_websockets=1,
        **({"token": token} if token else {}),
    )
    settings = ApiSettings(upstream)
    sock = listen("127.0.0.1", 0)
    sys.stderr.write(f"listening on http://127.0.0.1:{sock.getsockname()[1]}\n")
    sys.stderr.flush()
    run(settings, port=sock.getsockname()[1], log_level="error", sock=sock)


@dataclass
class _Apis:
    """The API processes of a soak: Bing's, and Microsoft 365's when a phase needs it."""

    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    def measure(self, report: Report, when: str) -> None:
        for service, process in self.processes.items():
            prefix = "api" if service == "bing" else f"{service}_api"
            report.processes[f"{prefix}_{when}"] = usage(process.pid)
        report.processes[f"soak_{when}"] = usage(os.getpid())

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
            process.wait(timeout=30)
            if process.stderr is not None:
                process.stderr.close()


def soak(
    sessions: int,
    concurrency: int,
    scenarios: tuple[str, ...] = SCENARIOS,
    rounds: int = 1,
    *,
    timeouts: Timeouts = API_TIMEOUTS,
    hang: float = HANG,
    settle: float | None = None,
) -> Report:
    """Run ``sessions`` sessions spread over ``scenarios`` (``rounds`` times) and report.

    ``timeouts`` are the API's upstream deadlines (the hostile scenarios end within them),
    ``hang`` the deadline after which a request counts as a hang, ``settle`` the wait after a
    round for the last connections to close (``timeouts.close + 2`` unless given)."""
    report = Report()
    hub = Hub(max_turns=1_000_000)
    start, apis = time.monotonic(), _Apis()
    with HubThread(hub) as hub_url:
        try:
            _start_apis(apis, hub_url, timeouts, scenarios)
            apis.measure(report, "before")
            for round_number in range(1, rounds + 1):
                _one_round(report, hub, apis, sessions, concurrency, scenarios, hang, timeouts)
                hub.scenario = hub.m365.scenario = "stream"
                time.sleep(timeouts.close + 2 if settle is None else settle)
                apis.measure(
                    report, "after" if round_number == rounds else f"after_round_{round_number}"
                )
        finally:
            apis.stop()
    report.seconds = time.monotonic() - start
    return report


def _start_apis(apis: _Apis, hub_url: str, timeouts: Timeouts, scenarios: tuple[str, ...]) -> None:
    services = {"bing"} | {Phase.of(name).service for name in scenarios}
    for service in sorted(services):
        token = make_test_token() if service == "m365" else None
        if token:
            apis.secrets = (token,)
        process, url = start_api(hub_url, timeouts, service, token)
        apis.processes[service], apis.urls[service] = process, url
        httpx.get(url + "/health", timeout=10).raise_for_status()


def _one_round(
    report: Report,
    hub: Hub,
    apis: _Apis,
    sessions: int,
    concurrency: int,
    scenarios: tuple[str, ...],
    hang: float,
    timeouts: Timeouts,
) -> None:
    """Every scenario in turn, ``sessions`` spread evenly over them, tallied in ``report``."""
    per, extra = divmod(sessions, len(scenarios))
    for position, name in enumerate(scenarios):
        count = per + (1 if position < extra else 0)
        if not count:
            continue
        phase = Phase.of(name)
        _set_up(hub, phase)
        outcomes = asyncio.run(
            run_phase(
                apis.urls[phase.service], count, concurrency, report.sessions,
                leave=phase.leave, hang=hang, secrets=apis.secrets,
            )
        )  # fmt: skip
        if phase.leave is not None:
            report.upstream_after_leaving[name] = _until_upstream_closed(
                hub, len(apis.processes), timeouts.turn + 5
            )
        hub.responder = echo_responder
        tally = report.by_scenario.setdefault(name, Counter())
        for outcome in outcomes:
            report.count(name, outcome, tally)


def _set_up(hub: Hub, phase: Phase) -> None:
    if phase.service == "m365":
        hub.m365.scenario = phase.scenario
    else:
        hub.scenario = phase.scenario
    if phase.words is not None:
        hub.responder = words_responder(phase.words)


def _until_upstream_closed(hub: Hub, kept: int, deadline: float) -> float:
    """Seconds until the hub's websockets are down to the ``kept`` idle ones the APIs keep
    (polled; ``deadline`` if they never are)."""
    start = time.monotonic()
    while hub.open_websockets > kept and time.monotonic() - start < deadline:
        time.sleep(0.02)
    return round(time.monotonic() - start, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--new-faults", action="store_true", help="add issue 21's faults")
    parser.add_argument("--only-new-faults", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-api", metavar="HUB_URL", help=argparse.SUPPRESS)
    parser.add_argument("--service", default="bing", help=argparse.SUPPRESS)
    parser.add_argument("--timeouts", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_api:
        timeouts = Timeouts(**json.loads(args.timeouts)) if args.timeouts else API_TIMEOUTS
        serve_api(args.serve_api, args.service, timeouts)
        return
    scenarios = SCENARIOS + NEW_FAULTS if args.new_faults else SCENARIOS
    if args.only_new_faults:
        scenarios = NEW_FAULTS
    report = soak(args.sessions, args.concurrency, scenarios, rounds=args.rounds)
    print(json.dumps(report.to_json(), indent=2))


if __name__ == "__main__":
    main()
