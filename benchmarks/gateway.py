"""Gateway capacity: N concurrent streams through ``g4f api``, against the same load sent
straight to the hub.

    python -m benchmarks.gateway [--streams 100 500 1000] [--words 60] [--pace 0.1]
        [--workers 1] [--store memory://] [--pin] [--shapes chat responses messages]

Three processes: the hub (``g4f hub``, streaming one word per update every ``pace`` seconds),
``g4f api`` in front of it, and the load generator (``benchmarks.loadgen``). For each N it runs
the load straight to the hub, then through the API, sampling the API processes' CPU time and
resident memory from /proc while the streams are open (with ``--workers N``, the workers').
With ``--shapes``, each N runs through the API once per shape (Chat Completions, Responses,
Messages), side by side, reporting the API's CPU time per streamed chunk and its ratio to Chat
Completions'. ``--store`` is the API's conversation store (``sqlite`` and ``redis`` name a
temporary file and a ``redis-server`` started for the run). ``--pin`` runs the hub and the load
generator on core 0 and the API on the others (``taskset``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def pinned(cores: str | None) -> list[str]:
    """The ``taskset`` prefix running a command on ``cores`` (none: no prefix)."""
    return ["taskset", "-c", cores] if cores else []


def start_hub(pace: float, words: int, cores: str | None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            *pinned(cores),
            sys.executable,
            "-m",
            "g4f",
            "hub",
            "--port",
            "0",
            "--pace",
            str(pace),
            "--answer-words",
            str(words),
            "--max-turns",
            "1000",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    return process, line.split(" on ", 1)[1].split()[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(
    hub_url: str, workers: int, store: str, cores: str | None
) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *pinned(cores),
            sys.executable,
            "-m",
            "g4f",
            "api",
            "--port",
            str(port),
            "--url",
            hub_url,
            "--log-level",
            "warning",
            "--max-conversations",
            "100000",
            "--workers",
            str(workers),
            "--store",
            store,
        ],
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return process, url
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("g4f api did not start")


def family(pid: int) -> list[int]:
    """``pid`` and its child processes (the workers of ``g4f api --workers N``)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(child) for child in children)]


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in family(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def rss_bytes(pid: int) -> int:
    return sum(
        int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE for member in family(pid)
    )


class Sampler(threading.Thread):
    """Samples a process's resident memory while a load runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.05)


def loadgen(
    target: str,
    url: str,
    streams: int,
    baseline: list[float] | None,
    cores: str | None = None,
    shape: str = "chat",
) -> Any:
    command = [
        *pinned(cores),
        sys.executable,
        "-m",
        "benchmarks.loadgen",
        "--target",
        target,
        "--url",
        url,
        "--streams",
        str(streams),
        "--shape",
        shape,
    ]
    command += ["--baseline", json.dumps(baseline)] if baseline is not None else ["--offsets"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--words", type=int, default=60, help="updates per answer")
    parser.add_argument("--pace", type=float, default=0.1, help="seconds between updates")
    parser.add_argument("--workers", type=int, default=1, help="g4f api --workers")
    parser.add_argument(
        "--store", default="memory://", help="memory://, sqlite, redis, or a store URL"
    )
    parser.add_argument("--pin", action="store_true", help="hub+loadgen on core 0, API on 1+")
    parser.add_argument(
        "--shapes",
        nargs="+",
        choices=("chat", "responses", "messages"),
        help="compare the API's shapes side by side (CPU per streamed chunk)",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        store = _store(args.store, stack)
        if args.shapes:
            run_shapes(args, store)
        else:
            run(args, store)


def _store(name: str, stack: contextlib.ExitStack) -> str:
    """The store URL for ``name``: a temporary SQLite file, or a redis-server for the run."""
    if name not in ("sqlite", "redis"):
        return name
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    if name == "sqlite":
        return f"sqlite:///{directory / 'conversations.sqlite3'}"
    from tests.redis_server import RedisServer

    server = RedisServer(directory).start()
    stack.callback(server.stop)
    return server.url


def run(args: argparse.Namespace, store: str) -> None:
    cores = os.cpu_count() or 1
    load_cores = "0" if args.pin and cores > 1 else None
    api_cores = f"1-{cores - 1}" if load_cores else None
    hub, hub_url = start_hub(args.pace, args.words, load_cores)
    api, api_url = start_api(hub_url, args.workers, store, api_cores)
    report: dict[str, Any] = {
        "cores": cores,
        "python": sys.version.split()[0],
        "workers": args.workers,
        "store": args.store,
        "pinned": bool(load_cores),
    }
    try:
        baseline = loadgen("hub", hub_url, 1, None, load_cores)
        report["baseline_offsets"] = baseline
        loadgen("api", api_url, 5 * args.workers, baseline, load_cores)  # warm the API up
        for n in args.streams:
            direct = loadgen("hub", hub_url, n, baseline, load_cores)
            idle_rss, cpu_before = rss_bytes(api.pid), cpu_seconds(api.pid)
            sampler = Sampler(api.pid)
            sampler.start()
            through = loadgen("api", api_url, n, baseline, load_cores)
            sampler.stop.set()
            sampler.join()
            cpu = cpu_seconds(api.pid) - cpu_before
            through.update(
                api_cpu_seconds=cpu,
                api_cpu_percent=100 * cpu / through["seconds"],
                api_idle_rss=idle_rss,
                api_peak_rss=sampler.peak,
                api_bytes_per_stream=(sampler.peak - idle_rss) / n,
            )
            report[str(n)] = {"direct": direct, "api": through}
            added50 = (through["lateness_p50"] or 0) - (direct["lateness_p50"] or 0)
            added99 = (through["lateness_p99"] or 0) - (direct["lateness_p99"] or 0)
            print(
                f"N={n}: direct {direct['completed']}/{n} ok, p50/p99 late "
                f"{direct['lateness_p50'] * 1e3:.1f}/{direct['lateness_p99'] * 1e3:.1f} ms; "
                f"api {through['completed']}/{n} ok (errors {through['errors']}), p50/p99 late "
                f"{through['lateness_p50'] * 1e3:.1f}/{through['lateness_p99'] * 1e3:.1f} ms, "
                f"added {added50 * 1e3:.1f}/{added99 * 1e3:.1f} ms, "
                f"cpu {through['api_cpu_percent']:.0f}%, "
                f"{through['api_bytes_per_stream'] / 1024:.1f} KiB/stream",
                flush=True,
            )
    finally:
        for process in (api, hub):
            process.terminate()
            process.wait()
    RESULTS.mkdir(exist_ok=True)
    name = f"gateway-w{args.workers}-{args.store.split(':')[0]}{'-pinned' if load_cores else ''}"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=1))


def _through(api: subprocess.Popen[str], url: str, n: int, shape: str, baseline: Any) -> Any:
    """One load of ``n`` streams of ``shape`` through the API, with the API's CPU time."""
    before = cpu_seconds(api.pid)
    through = loadgen("api", url, n, baseline, shape=shape)
    cpu = cpu_seconds(api.pid) - before
    through.update(
        api_cpu_seconds=cpu,
        api_cpu_ms_per_chunk=1e3 * cpu / max(1, through["chunks"]),
    )
    return through


def run_shapes(args: argparse.Namespace, store: str) -> None:
    """Each N through each shape, side by side: CPU per chunk and its ratio to chat's."""
    hub, hub_url = start_hub(args.pace, args.words, None)
    api, api_url = start_api(hub_url, args.workers, store, None)
    report: dict[str, Any] = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        baseline = loadgen("hub", hub_url, 1, None)
        for shape in args.shapes:  # warm every shape's code up
            loadgen("api", api_url, 5, baseline, shape=shape)
        for n in args.streams:
            rows = {shape: _through(api, api_url, n, shape, baseline) for shape in args.shapes}
            report[str(n)] = rows
            reference = rows.get("chat", next(iter(rows.values())))["api_cpu_ms_per_chunk"]
            for shape, row in rows.items():
                ratio = row["api_cpu_ms_per_chunk"] / reference if reference else float("nan")
                row["ratio_to_chat"] = ratio
                print(
                    f"N={n} {shape:9}: {row['completed']}/{n} ok, {row['chunks']} chunks, "
                    f"cpu {row['api_cpu_seconds']:.2f} s = "
                    f"{row['api_cpu_ms_per_chunk'] * 1e3:.0f} µs/chunk ({ratio:.2f}× chat), "
                    f"p99 late {(row['lateness_p99'] or 0) * 1e3:.1f} ms",
                    flush=True,
                )
    finally:
        for process in (api, hub):
            process.terminate()
            process.wait()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gateway-shapes.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
