"""The Chat API (graph): time to first token in round trips, and the SSE reader's CPU cost.

    python -m benchmarks.chatapi [--rtt 50 200] [--runs 5] [--rounds 30]

Time to first token against the hub's Chat API side with its network model
(``Hub(latency=RTT/2)``: each HTTP request and its response travel one way each; connection
setup is not modelled, as for the other sides): **cold** is a new client (new session) creating a
conversation then streaming (``POST /conversations`` + ``chatOverStream``), **warm** the next
turn of that conversation on the pooled connection. Medians in RTTs.

CPU per streamed snapshot: a 4,000-character answer streamed word by word (compact layout, one
cumulative snapshot per word, as the service sends them), through SseDecoder + SnapshotReader,
next to the ChatHub reader (RecordDecoder + Bing's TurnReader) on the same answer's 400 updates
(benchmarks.transcript). Minimum of the rounds (the least disturbed), µs per snapshot/update.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from g4f.engine.retry import NO_RETRY
from g4f.hub import Hub, running_hub
from g4f.hub.chatapi import make_chatapi_token
from g4f.protocol import RecordDecoder, TextDelta
from g4f.protocol.sse import SseDecoder
from g4f.services.bing import TurnReader
from g4f.services.chatapi import ChatApiClient, SnapshotReader

from .transcript import answer_text, transcript


async def _first_token(client: ChatApiClient, **kwargs: object) -> float:
    start = time.perf_counter()
    stream = client.ask("Hi", **kwargs)  # type: ignore[arg-type]
    elapsed = 0.0
    async for event in stream:
        if isinstance(event, TextDelta) and not elapsed:
            elapsed = time.perf_counter() - start
    return elapsed


async def ttft(rtt_ms: float, runs: int) -> tuple[float, float]:
    """Median cold and warm time to first token, in RTTs."""
    rtt = rtt_ms / 1000
    hub = Hub(latency=rtt / 2)
    cold, warm = [], []
    async with running_hub(hub) as url:
        for _ in range(runs):
            async with ChatApiClient(
                "graph", url=url + "/beta/copilot", token=make_chatapi_token(), retry=NO_RETRY
            ) as client:
                start = time.perf_counter()
                conversation = await client.start_conversation()
                cold.append(time.perf_counter() - start + await _first_token(
                    client, conversation=conversation))  # fmt: skip
                warm.append(await _first_token(client, conversation=conversation))
    return statistics.median(cold) / rtt, statistics.median(warm) / rtt


def sse_stream(chars: int = 4000) -> tuple[list[bytes], int]:
    """The chatOverStream body of a ``chars``-character answer, a chunk per event."""
    text, so_far, chunks = answer_text(chars), "", []
    for number, word in enumerate(text.split(" "), start=1):
        so_far = f"{so_far} {word}" if so_far else word
        message = {"id": "m", "text": so_far, "attributions": []}
        snapshot = {"id": "c", "displayName": "Intermediate Conversation Update",
                    "state": "active", "turnCount": 0, "messages": [message]}  # fmt: skip
        chunks.append(f"data: {json.dumps(snapshot)}\nid:{number} \n\n".encode())
    return chunks, len(chunks)


def read_sse(chunks: list[bytes]) -> int:
    decoder, reader, shown = SseDecoder(), SnapshotReader("Hi"), 0
    for chunk in chunks:
        for event in decoder.feed(chunk):
            shown += sum(len(e.text) for e in reader.feed(event.data) if isinstance(e, TextDelta))
    return shown


def read_chathub(messages: list[str]) -> int:
    decoder, reader, shown = RecordDecoder(), TurnReader(), 0
    for message in messages:
        for record in decoder.feed(message):
            shown += sum(len(e.text) for e in reader.read(record) if isinstance(e, TextDelta))
    return shown


def cpu(rounds: int) -> tuple[float, int, float, int]:
    """µs per snapshot (SSE) and per update (ChatHub), minimum over ``rounds``."""
    chunks, snapshots = sse_stream()
    messages = transcript(4000, 400)
    best_sse = best_hub = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        read_sse(chunks)
        best_sse = min(best_sse, time.process_time() - start)
        start = time.process_time()
        read_chathub(messages)
        best_hub = min(best_hub, time.process_time() - start)
    return best_sse / snapshots * 1e6, snapshots, best_hub / 400 * 1e6, 400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rtt", type=float, nargs="+", default=[50.0, 200.0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    for rtt in args.rtt:
        cold, warm = asyncio.run(ttft(rtt, args.runs))
        print(f"RTT {rtt:g} ms: cold {cold:.2f} RTT, warm {warm:.2f} RTT")
    sse_us, snapshots, hub_us, updates = cpu(args.rounds)
    print(f"SSE + SnapshotReader: {sse_us:.1f} µs per snapshot ({snapshots} snapshots)")
    print(f"RecordDecoder + TurnReader: {hub_us:.1f} µs per update ({updates} updates)")


if __name__ == "__main__":
    main()
