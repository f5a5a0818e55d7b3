"""The conversation store's added latency per request of ``g4f api``, for each store.

    python -m benchmarks.store [--requests 2000] [--rates 0 200 1000]

Each request does what the API does around one turn: a new conversation is put and leased
(``start``), a continued one fetched and leased (``checkout``); after its turn it is put and its
lease released (``checkin``). This times that store work alone (no upstream, no HTTP), per
request, for ``memory://``, ``sqlite:///`` (a file in a temporary directory) and ``redis://``
(a real ``redis-server`` started on a free port): one request at a time (rate 0), and requests
arriving at a steady rate (an open loop, as a gateway's callers arrive: a slow request does not
hold back the next).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from g4f.api.store import ConversationStore, make_store
from g4f.client import Conversation

from .loadgen import percentile

RESULTS = Path(__file__).resolve().parent / "results"


async def one_request(store: ConversationStore, number: int, known: list[str]) -> float:
    start = time.perf_counter()
    if number % 2 == 0 or not known:  # half the requests start a conversation
        conversation = Conversation(f"c{number}", "client", signature="s" * 40)
        lease = await store.start("bing", conversation, 600)
    else:
        stored, held = await store.checkout(known[number % len(known)], 600)
        assert stored is not None
        if held is None:  # another request of this run holds it: count the failed attempt
            return time.perf_counter() - start
        conversation, lease = stored.conversation, held
    conversation.turn += 1  # the turn ran here (not timed: it is the upstream's time)
    await store.checkin("bing", conversation, lease)
    if number % 2 == 0:
        known.append(conversation.conversation_id)
    return time.perf_counter() - start


async def measure(url: str, requests: int, rate: float) -> dict[str, Any]:
    store = make_store(url, ttl=3600, cap=100_000)
    await store.open()
    try:
        known: list[str] = []
        for number in range(200):  # warm-up: a table and a connection in use
            await one_request(store, number, known)
        begin = time.perf_counter()
        if rate <= 0:
            times = [await one_request(store, n, known) for n in range(200, 200 + requests)]
        else:
            tasks = []
            for n in range(200, 200 + requests):
                delay = begin + (n - 200) / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.ensure_future(one_request(store, n, known)))
            times = list(await asyncio.gather(*tasks))
        wall = time.perf_counter() - begin
    finally:
        await store.close()
    return {
        "p50_ms": (percentile(times, 0.5) or 0) * 1e3,
        "p99_ms": (percentile(times, 0.99) or 0) * 1e3,
        "mean_ms": statistics.fmean(times) * 1e3,
        "requests_per_second": requests / wall,
    }


def main() -> None:
    from tests.redis_server import RedisServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 200, 1000])
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        redis = RedisServer(Path(directory)).start()
        try:
            stores = {
                "memory://": "memory://",
                "sqlite:///": f"sqlite:///{Path(directory) / 'c.sqlite3'}",
                "redis://": redis.url,
            }
            print("| store | arrival rate /s | p50 ms | p99 ms | requests/s |")
            print("|---|---|---|---|---|")
            for name, url in stores.items():
                for rate in args.rates:
                    if url.startswith("sqlite"):
                        Path(url[len("sqlite:///") :]).unlink(missing_ok=True)
                    result = asyncio.run(measure(url, args.requests, rate))
                    report[f"{name} at {rate:g}/s"] = result
                    shown = f"{rate:g}" if rate > 0 else "one at a time"
                    print(
                        f"| {name} | {shown} | {result['p50_ms']:.3f} | "
                        f"{result['p99_ms']:.3f} | {result['requests_per_second']:.0f} |",
                        flush=True,
                    )
        finally:
            redis.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "store.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
