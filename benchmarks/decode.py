"""Decoding cost: a long answer's records through the protocol core, against two floors.

    python -m benchmarks.decode [--rounds 60]

For a transcript of ≥ 400 cumulative updates (~4,000 characters, cards and sources), reports
µs per update and per turn for: ``json.loads`` and ``orjson.loads`` of the same records (the
floors), this project's core (RecordDecoder + TurnReader), and the seed's per-record loop (g4f
0.0.1.5's own ``stream_generate``, in its venv, fed the same messages through a stand-in
websocket). Then how the core's cost grows with the answer: 1k, 4k and 16k characters.
Rounds are interleaved and the minimum is reported (the least disturbed run), with the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from g4f.protocol import RecordDecoder, TextDelta
from g4f.services.bing import TurnReader

from .seed_env import run_seed
from .transcript import answer_text, transcript

RESULTS = Path(__file__).resolve().parent / "results"


def core(messages: list[str]) -> str:
    """Decode one turn with this project's core; return the streamed text."""
    decoder, reader = RecordDecoder(), TurnReader()
    pieces = []
    for message in messages:
        for record in decoder.feed(message):
            for event in reader.read(record):
                if isinstance(event, TextDelta):
                    pieces.append(event.text)
    return "".join(pieces)


def parse_all(loads: Callable[[str], object], records: list[str]) -> None:
    """The floor: parse each record and drop it, as the core does (keeping every parsed
    record alive would make the floor slower than the parse itself)."""
    for record in records:
        loads(record)


def timings(cases: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            start = time.perf_counter()
            case()
            results[name].append(time.perf_counter() - start)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    report: dict[str, object] = {}

    messages = transcript(4000)
    records = [piece for m in messages for piece in m.split("\x1e") if piece]
    updates = sum(1 for r in records if r.startswith('{"type":1'))
    assert core(messages) == answer_text(4000), "the core must rebuild the answer exactly"
    cases: dict[str, Callable[[], object]] = {
        "json.loads (floor)": lambda: parse_all(json.loads, records),
        "orjson.loads (floor)": lambda: parse_all(orjson.loads, records),
        "this project's core": lambda: core(messages),
    }
    results = timings(cases, args.rounds)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(messages, file)
    seed = run_seed("decode", file.name, str(max(5, args.rounds // 4)))
    Path(file.name).unlink()
    results["seed's per-record loop (g4f 0.0.1.5)"] = seed["seconds"]

    floor = min(results["orjson.loads (floor)"])
    print(
        f"Transcript: {len(messages)} websocket messages, {len(records)} records, "
        f"{updates} updates, {sum(map(len, messages))} bytes, answer {len(answer_text(4000))} chars"
    )
    print("| decoder | µs/update (min) | ms/turn (min) | ms/turn (median) | × orjson floor |")
    print("|---|---|---|---|---|")
    for name, values in results.items():
        best = min(values)
        print(
            f"| {name} | {best / updates * 1e6:.2f} | {best * 1e3:.2f} | "
            f"{statistics.median(values) * 1e3:.2f} | {best / floor:.2f} |"
        )
    print(
        f"The seed's loop yielded {seed['text_chars']} characters for a "
        f"{len(answer_text(4000))}-character answer."
    )
    report["4k"] = {name: values for name, values in results.items()}

    print("\n| answer chars | bytes received | core ms/turn (min) | orjson floor ms | × floor |")
    print("|---|---|---|---|---|")
    for chars in (1000, 4000, 16000):
        msgs = transcript(chars)
        recs = [piece for m in msgs for piece in m.split("\x1e") if piece]
        grown = timings(
            {
                "core": lambda msgs=msgs: core(msgs),
                "floor": lambda recs=recs: parse_all(orjson.loads, recs),
            },
            args.rounds,
        )
        best, floor_ms = min(grown["core"]), min(grown["floor"])
        print(
            f"| {chars} | {sum(map(len, msgs))} | {best * 1e3:.2f} | {floor_ms * 1e3:.2f} | "
            f"{best / floor_ms:.2f} |"
        )
        report[f"growth-{chars}"] = grown
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "decode.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main()
