"""Does the work grow linearly with the input? Each reader of untrusted input, timed at sizes
n, 2n, 4n, 8n: a linear one takes about twice as long per doubling, a quadratic one four times.

    python -m benchmarks.linearity [--base 500000]

- ``decoder``: one record of n characters arriving in 1 KiB websocket messages (the partial
  record used to be re-joined and re-scanned per message).
- ``stop``: an n-character answer in 5-character deltas against a 1,000-character stop sequence
  that almost matches all the time (the old matcher tried every suffix length per delta).
- ``turn``: n characters of update records (100-character answer messages) read by the
  protocol connection.
- ``create``: a create response body of n characters parsed.
- ``deltas``: an n-character Microsoft 365 answer in eight-character ``writeAtCursor`` deltas
  (100,000 of them at the default base) read by its turn reader (each delta used to copy the
  whole answer so far).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import time
from collections.abc import Callable

from g4f import errors
from g4f.openai import StopLimiter
from g4f.protocol import encode_record
from g4f.protocol.connection import Connection
from g4f.protocol.framing import RecordDecoder
from g4f.services.bing.dialect import parse_create
from g4f.services.m365.reader import M365TurnReader

Run = Callable[[], object]


def decoder(n: int) -> Run:
    text = '{"type":1,"target":"update","arguments":[{"x":"' + "a" * n + '"}]}\x1e'
    pieces = [text[start : start + 1024] for start in range(0, len(text), 1024)]

    def run() -> object:
        decoder = RecordDecoder(max_record=n + 1000)
        return [decoder.feed(piece) for piece in pieces]

    return run


def stop(n: int) -> Run:
    chunks = ["aaaaa"] * (n // 5)

    def run() -> object:
        limiter = StopLimiter(stop=["a" * 999 + "b"])
        return [limiter.feed(chunk) for chunk in chunks]

    return run


def turn(n: int) -> Run:
    # n characters of records: updates of 100-character answer messages, one message each.
    messages = []
    for i in range(n // 200):
        message = {"author": "bot", "messageId": f"m{i}", "text": "w" * 99 + " "}
        update = {"type": 1, "target": "update", "arguments": [{"messages": [message]}]}
        messages.append(encode_record(update))

    def run() -> object:
        connection = Connection()
        connection.initiate()
        connection.send_invocation({"type": 4, "invocationId": "0"})
        connection.receive_data("{}\x1e")
        for text in messages:
            connection.receive_data(text)
            while connection.next_event() is not None:
                pass
        return connection.text

    return run


def create(n: int) -> Run:
    body = json.dumps({"conversationId": "c", "clientId": "u", "padding": "z" * n})

    def run() -> object:
        with contextlib.suppress(errors.G4FError):
            parse_create(200, {}, body)
        return None

    return run


def deltas(n: int) -> Run:
    records = [
        {"type": 1, "target": "update", "arguments": [{"writeAtCursor": "abcdefgh"}]}
        for _ in range(n // 8)
    ]

    def run() -> object:
        reader = M365TurnReader()
        for record in records:
            reader.read(record)
        return reader.text

    return run


def timed(prepare: Callable[[int], Run], n: int, repeat: int = 5) -> float:
    run = prepare(n)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=int, default=500_000, help="n (characters)")
    args = parser.parse_args()
    bases = {
        "decoder": args.base,
        "stop": args.base // 4,
        "turn": args.base,
        "create": args.base,
        "deltas": args.base * 8 // 5,  # 100,000 eight-character deltas at the default base
    }
    works = {"decoder": decoder, "stop": stop, "turn": turn, "create": create, "deltas": deltas}
    for name, work in works.items():
        base = bases[name]
        times = [timed(work, base * k) for k in (1, 2, 4, 8)]
        ratios = " ".join(f"{later / earlier:.2f}" for earlier, later in itertools.pairwise(times))
        sizes = " ".join(
            f"{base * k:,}: {t * 1000:.1f} ms" for k, t in zip((1, 2, 4, 8), times, strict=True)
        )
        print(f"{name:8} {sizes}   ratio per doubling: {ratios}")


if __name__ == "__main__":
    main()
