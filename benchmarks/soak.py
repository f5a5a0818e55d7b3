"""Chaos soak: many sessions through ``g4f api`` against the hub playing faults and hostile
upstreams; counts what became a clean answer, a typed error, an untyped error or a hang, and
the API process's file descriptors and memory before and after.

    python -m benchmarks.soak [--sessions 1000] [--concurrency 25] [--rounds 1]

Loopback only, bounded in count and time: every request has a hard deadline (a hang is counted,
never waited out), and each hostile scenario ends on its own within the API's deadlines. The API
runs in its own process (``--serve-api``, started by the soak) so that its descriptors and
memory are its own; the hub runs in this process, one scenario after another. With
``--rounds R`` the whole run repeats R times and each process is measured after every round: memory
that levels off is what the allocator keeps for the next peak, memory that keeps growing a leak.
"""

from __future__ import annotations

import argparse
import asyncio
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
from g4f.hub import Hub, HubThread

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

API_TIMEOUTS = Timeouts(connect=2, create=5, read=2, turn=5, ping_interval=1, close=1)
HANG = 30.0
"""A request still running after this many seconds is a hang."""
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Report:
    """What the soak saw."""

    sessions: int = 0
    ok: int = 0
    typed: Counter[str] = field(default_factory=Counter)
    untyped: list[str] = field(default_factory=list)
    hangs: int = 0
    by_scenario: dict[str, Counter[str]] = field(default_factory=dict)
    processes: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, scenario: str, outcome: str, tally: Counter[str]) -> None:
        """Tally one session's ``outcome`` (``ok``, ``hang``, ``typed:…``, ``untyped:…``)."""
        self.sessions += 1
        tally[outcome.split(":", 1)[0]] += 1
        if outcome == "ok":
            self.ok += 1
        elif outcome == "hang":
            self.hangs += 1
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
            "by_scenario": {k: dict(v) for k, v in self.by_scenario.items()},
            "processes": self.processes,
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


async def session(client: httpx.AsyncClient, api: str, index: int) -> str:
    stream = index % 2 == 0
    body = {
        "model": "gpt-4",
        "stream": stream,
        "messages": [{"role": "user", "content": f"Soak session {index}, a few words please"}],
    }
    try:
        async with asyncio.timeout(HANG):
            response = await client.post(api + "/v1/chat/completions", json=body)
    except TimeoutError:
        return "hang"
    except httpx.HTTPError as exc:
        return f"untyped:{type(exc).__name__}: {exc}"
    return classify(response.status_code, response.content, stream)


async def run_phase(api: str, count: int, concurrency: int, first: int) -> list[str]:
    limits = httpx.Limits(max_connections=concurrency)
    timeout = httpx.Timeout(HANG + 5)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> str:
            async with gate:
                return await session(client, api, index)

        return await asyncio.gather(*(one(first + i) for i in range(count)))


def start_api(hub_url: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.soak", "--serve-api", hub_url],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the API did not start: {line}{process.stderr.read()}")
    return process, line.split()[-1]


def serve_api(hub_url: str) -> None:
    """The API process: ``g4f api`` with short upstream deadlines and no retries."""
    from g4f.api.server import listen, run

    # One kept upstream websocket at most: the ones kept for continuing conversations (up to 256
    # by default) would otherwise look like descriptors that did not come back.
    upstream = Upstream(url=hub_url, timeouts=API_TIMEOUTS, retry=NO_RETRY, idle_websockets=1)
    settings = ApiSettings(upstream)
    sock = listen("127.0.0.1", 0)
    sys.stderr.write(f"listening on http://127.0.0.1:{sock.getsockname()[1]}\n")
    sys.stderr.flush()
    run(settings, port=sock.getsockname()[1], log_level="error", sock=sock)


def soak(
    sessions: int, concurrency: int, scenarios: tuple[str, ...] = SCENARIOS, rounds: int = 1
) -> Report:
    """Run ``sessions`` sessions spread over ``scenarios`` (``rounds`` times) and report."""
    report = Report()
    hub = Hub(max_turns=1_000_000)
    start = time.monotonic()
    with HubThread(hub) as hub_url:
        api_process, api = start_api(hub_url)
        try:
            httpx.get(api + "/health", timeout=10).raise_for_status()
            report.processes["api_before"] = usage(api_process.pid)
            report.processes["soak_before"] = usage(os.getpid())
            for round_number in range(1, rounds + 1):
                _one_round(report, hub, api, sessions, concurrency, scenarios)
                hub.scenario = "stream"
                time.sleep(API_TIMEOUTS.close + 2)  # let the last connections close
                suffix = "" if round_number == rounds else f"_round_{round_number}"
                report.processes[f"api_after{suffix}"] = usage(api_process.pid)
                report.processes[f"soak_after{suffix}"] = usage(os.getpid())
        finally:
            api_process.terminate()
            api_process.wait(timeout=30)
            if api_process.stderr is not None:
                api_process.stderr.close()
    report.seconds = time.monotonic() - start
    return report


def _one_round(
    report: Report,
    hub: Hub,
    api: str,
    sessions: int,
    concurrency: int,
    scenarios: tuple[str, ...],
) -> None:
    """Every scenario in turn, ``sessions`` spread evenly over them, tallied in ``report``."""
    per, extra = divmod(sessions, len(scenarios))
    for position, scenario in enumerate(scenarios):
        count = per + (1 if position < extra else 0)
        if not count:
            continue
        hub.scenario = scenario
        outcomes = asyncio.run(run_phase(api, count, concurrency, report.sessions))
        tally = report.by_scenario.setdefault(scenario, Counter())
        for outcome in outcomes:
            report.count(scenario, outcome, tally)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--serve-api", metavar="HUB_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_api:
        serve_api(args.serve_api)
        return
    report = soak(args.sessions, args.concurrency, rounds=args.rounds)
    print(json.dumps(report.to_json(), indent=2))


if __name__ == "__main__":
    main()
