"""Gateway capacity: N concurrent streams through ``g4f api``, against the same load sent
straight to the hub.

    python -m benchmarks.gateway [--streams 100 500 1000] [--words 60] [--pace 0.1]

Three processes: the hub (``g4f hub``, streaming one word per update every ``pace`` seconds),
``g4f api`` in front of it, and the load generator (``benchmarks.loadgen``). For each N it runs
the load straight to the hub, then through the API, sampling the API process's CPU time and
resident memory from /proc while the streams are open.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def start_hub(pace: float, words: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
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


def start_api(hub_url: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [
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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


class Sampler(threading.Thread):
    """Samples a process's resident memory while a load runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.05)


def loadgen(target: str, url: str, streams: int, baseline: list[float] | None) -> Any:
    command = [
        sys.executable,
        "-m",
        "benchmarks.loadgen",
        "--target",
        target,
        "--url",
        url,
        "--streams",
        str(streams),
    ]
    command += ["--baseline", json.dumps(baseline)] if baseline is not None else ["--offsets"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--words", type=int, default=60, help="updates per answer")
    parser.add_argument("--pace", type=float, default=0.1, help="seconds between updates")
    args = parser.parse_args()
    hub, hub_url = start_hub(args.pace, args.words)
    api, api_url = start_api(hub_url)
    report: dict[str, Any] = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        baseline = loadgen("hub", hub_url, 1, None)
        report["baseline_offsets"] = baseline
        loadgen("api", api_url, 5, baseline)  # warm the API up
        for n in args.streams:
            direct = loadgen("hub", hub_url, n, baseline)
            idle_rss, cpu_before = rss_bytes(api.pid), cpu_seconds(api.pid)
            sampler = Sampler(api.pid)
            sampler.start()
            through = loadgen("api", api_url, n, baseline)
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
    (RESULTS / "gateway.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
