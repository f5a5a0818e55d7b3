"""A load generator: N concurrent streaming turns against ``g4f api`` or straight to the hub.

    python -m benchmarks.loadgen --target api|hub --url URL --streams N [--pace 0.1]
        [--shape chat|responses|messages]

Runs in its own process and prints one JSON object: completed/failed counts, time to first
token, and per-chunk lateness — how much later than in an unloaded stream (``--baseline``:
the offsets of a single stream's chunks from its first chunk) chunk k arrives, relative to
the stream's first chunk — as percentiles. ``--offsets`` prints the offsets instead (to make a
baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from g4f.client import BingClient, Timeouts
from g4f.protocol import TextDelta

PROMPT = [{"role": "user", "content": "Hello"}]


@dataclass
class StreamResult:
    """What one stream saw."""

    start: float
    chunks: list[float] = field(default_factory=list)
    error: str | None = None


def offsets(result: StreamResult) -> list[float]:
    """Each chunk's arrival, in seconds after the stream's first chunk."""
    return [t - result.chunks[0] for t in result.chunks] if result.chunks else []


def lateness(result: StreamResult, baseline: list[float]) -> list[float]:
    """Seconds each chunk after the first arrives later than in the unloaded baseline."""
    return [o - b for o, b in zip(offsets(result), baseline, strict=False)][1:]


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, or ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


SHAPES: dict[str, tuple[str, dict[str, Any], bytes]] = {
    "chat": (
        "/v1/chat/completions",
        {"model": "gpt-4", "messages": PROMPT, "stream": True},
        b"data: {",
    ),
    "responses": (
        "/v1/responses",
        {"model": "gpt-4", "input": "Hello", "stream": True},
        b'data: {"type":"response.output_text.delta"',
    ),
    "messages": (
        "/v1/messages",
        {"model": "gpt-4", "max_tokens": 4096, "messages": PROMPT, "stream": True},
        b'data: {"type":"content_block_delta"',
    ),
}
"""Per shape of the API: the path, the streamed request, and how a text event's line starts."""


async def api_stream(
    session: aiohttp.ClientSession, url: str, result: StreamResult, shape: str = "chat"
) -> None:
    path, body, text_line = SHAPES[shape]
    async with session.post(url + path, json=body) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        async for line in response.content:
            if line.startswith(b"event: error") or line.startswith(b"event: response.failed"):
                raise RuntimeError("error event")
            if not line.startswith(text_line):
                continue
            if shape != "chat":
                result.chunks.append(time.perf_counter())
                continue
            chunk = orjson.loads(line[6:])
            if "error" in chunk:
                raise RuntimeError(chunk["error"].get("code") or "error event")
            if chunk["choices"][0]["delta"].get("content"):
                result.chunks.append(time.perf_counter())


async def hub_stream(client: BingClient, result: StreamResult) -> None:
    async for event in client.ask("Hello"):
        if isinstance(event, TextDelta):
            result.chunks.append(time.perf_counter())


async def run(
    target: str, url: str, streams: int, ramp: float, shape: str = "chat"
) -> list[StreamResult]:
    results = [StreamResult(start=0.0) for _ in range(streams)]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        BingClient(url=url, timeouts=Timeouts(read=120, create=120)) as client,
    ):

        async def one(index: int) -> None:
            await asyncio.sleep(ramp * index / streams)
            result = results[index]
            result.start = time.perf_counter()
            try:
                if target == "api":
                    await api_stream(session, url, result, shape)
                else:
                    await hub_stream(client, result)
            except Exception as exc:  # a failed stream is counted, not fatal
                result.error = f"{type(exc).__name__}: {exc}"[:200]

        await asyncio.gather(*(one(i) for i in range(streams)))
    return results


def summary(results: list[StreamResult], baseline: list[float]) -> dict[str, Any]:
    ok = [r for r in results if r.error is None and r.chunks]
    late = [x for r in ok for x in lateness(r, baseline)]
    ttft = [r.chunks[0] - r.start for r in ok]
    errors: dict[str, int] = {}
    for r in results:
        if r.error is not None or not r.chunks:
            key = (r.error or "no chunks").split(":")[0]
            errors[key] = errors.get(key, 0) + 1
    return {
        "streams": len(results),
        "completed": len(ok),
        "failed": len(results) - len(ok),
        "errors": errors,
        "chunks": sum(len(r.chunks) for r in ok),
        "ttft_p50": percentile(ttft, 0.5),
        "ttft_p99": percentile(ttft, 0.99),
        "lateness_p50": percentile(late, 0.5),
        "lateness_p99": percentile(late, 0.99),
        "lateness_mean": statistics.fmean(late) if late else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("api", "hub"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--streams", type=int, required=True)
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds over which to start")
    parser.add_argument("--baseline", help="JSON list: an unloaded stream's chunk offsets")
    parser.add_argument("--offsets", action="store_true", help="print the first stream's offsets")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="chat", help="the API's shape")
    args = parser.parse_args()
    started = time.perf_counter()
    results = asyncio.run(run(args.target, args.url, args.streams, args.ramp, args.shape))
    if args.offsets:
        print(json.dumps(offsets(results[0])))
        return
    report = summary(results, json.loads(args.baseline) if args.baseline else [])
    report["seconds"] = time.perf_counter() - started
    print(json.dumps(report))


if __name__ == "__main__":
    main()
