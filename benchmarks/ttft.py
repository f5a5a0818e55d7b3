"""Time to first token, in round trips, against the hub's network model.

    python -m benchmarks.ttft [--rtt 50 200] [--runs 5] [--service bing m365]

For RTT = 2 × one-way delay, each entry point is timed from the call to its first answer text:
the seed's ``_create_completion`` (this project's), the async engine cold and warm, the
OpenAI-style ``Client``, ``g4f api`` cold and warm, and the seed's original implementation
(g4f 0.0.1.5, in its own venv). Create shapes: signature in the body, and in headers only.
Microsoft 365 Copilot (the hub's M365 side): ``M365Client`` cold and warm, ``Client(service=
"m365")`` and ``g4f api --service m365`` cold and warm.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from g4f.api import ApiSettings, ApiThread, Upstream
from g4f.client import BingClient, ChatHubClient, Client, M365Client
from g4f.hub import Hub, HubThread, make_test_token
from g4f.protocol import TextDelta
from g4f.Provider.Providers.Bing import _create_completion

from .seed_env import run_seed

MESSAGES = [{"role": "user", "content": "Привет, как дела?"}]
RESULTS = Path(__file__).resolve().parent / "results"
# httpx writes a request's head and body separately; without TCP_NODELAY the body waits for
# the server's delayed ACK (~40 ms on Linux), which would be measured as the server's time.
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def timed_first(chunks: Callable[[], object]) -> float:
    start = time.perf_counter()
    for piece in chunks():  # type: ignore[attr-defined]
        if piece:
            return time.perf_counter() - start
    raise RuntimeError("no text")


def seed_api(url: str) -> float:
    os.environ["G4F_BING_URL"] = url
    start = time.perf_counter()
    first = None
    for token in _create_completion("gpt-4", MESSAGES, True):
        if token and first is None:
            first = time.perf_counter() - start
    assert first is not None
    return first


async def _first_delta(client: ChatHubClient, **kwargs: object) -> float:
    start = time.perf_counter()
    first = None
    async for event in client.ask("Привет, как дела?", **kwargs):  # type: ignore[arg-type]
        if isinstance(event, TextDelta) and first is None:
            first = time.perf_counter() - start
    assert first is not None
    return first


def engine_cold(url: str) -> float:
    async def run() -> float:
        async with BingClient(url=url) as client:
            return await _first_delta(client)

    return asyncio.run(run())


def engine_warm_runs(url: str, runs: int) -> list[float]:
    async def run() -> list[float]:
        async with BingClient(url=url) as client:
            conversation = await client.create_conversation()
            await client.ask_text("first turn", conversation=conversation)
            return [await _first_delta(client, conversation=conversation) for _ in range(runs)]

    return asyncio.run(run())


def openai_client(url: str) -> float:
    client = Client(url=url)
    start = time.perf_counter()
    first = None
    for chunk in client.chat.completions.create(model="gpt-4", messages=MESSAGES, stream=True):
        if chunk.choices[0].delta.content and first is None:
            first = time.perf_counter() - start
    assert first is not None
    return first


def m365_cold(url: str, token: str) -> float:
    async def run() -> float:
        async with M365Client(url=url, token=token) as client:
            return await _first_delta(client)

    return asyncio.run(run())


def m365_warm_runs(url: str, token: str, runs: int) -> list[float]:
    async def run() -> list[float]:
        async with M365Client(url=url, token=token) as client:
            conversation = await client.start_conversation()
            await client.ask_text("first turn", conversation=conversation)
            return [await _first_delta(client, conversation=conversation) for _ in range(runs)]

    return asyncio.run(run())


def m365_openai_client(url: str, token: str) -> float:
    client = Client(service="m365", url=url, token=token)
    start = time.perf_counter()
    for chunk in client.chat.completions.create(messages=MESSAGES, stream=True):
        if chunk.choices[0].delta.content:
            return time.perf_counter() - start
    raise RuntimeError("no text")


def measure_m365(rtt_ms: int, runs: int) -> dict[str, list[float]]:
    hub = Hub(latency=rtt_ms / 2000, pace=0)
    token = make_test_token()
    results: dict[str, list[float]] = {}
    with (
        HubThread(hub) as url,
        ApiThread(ApiSettings(Upstream("m365", url=url, options={"token": token}))) as api,
    ):
        results["M365Client.ask, cold"] = [m365_cold(url, token) for _ in range(runs)]
        results["M365Client.ask, warm (next turn)"] = m365_warm_runs(url, token, runs)
        results["Client(service='m365'), cold"] = [
            m365_openai_client(url, token) for _ in range(runs)
        ]
        results["g4f api --service m365, cold"] = [
            api_first(api, model="m365-copilot")[0] for _ in range(runs)
        ]
        _, conversation = api_first(api, model="m365-copilot")
        results["g4f api --service m365, warm (conversation_id)"] = [
            api_first(api, conversation, model="m365-copilot")[0] for _ in range(runs)
        ]
    return results


def api_first(
    api: str, conversation_id: str | None = None, model: str = "gpt-4"
) -> tuple[float, str]:
    body: dict[str, object] = {"model": model, "messages": MESSAGES, "stream": True}
    if conversation_id:
        body["conversation_id"] = conversation_id
    first, conversation = None, ""
    # Made before the clock starts: an httpx client builds an SSL context (tens of ms).
    with httpx.Client(transport=httpx.HTTPTransport(socket_options=NODELAY), timeout=60) as http:
        start = time.perf_counter()
        with http.stream("POST", api + "/v1/chat/completions", json=body) as response:
            for line in response.iter_lines():
                if not line.startswith("data: {"):
                    continue
                chunk = json.loads(line[6:])
                conversation = chunk.get("conversation_id") or conversation
                if chunk["choices"][0]["delta"].get("content") and first is None:
                    first = time.perf_counter() - start
    assert first is not None
    return first, conversation


def measure(rtt_ms: int, shape: str, runs: int) -> dict[str, list[float]]:
    hub = Hub(latency=rtt_ms / 2000, pace=0, create_shape=shape)
    results: dict[str, list[float]] = {}
    with HubThread(hub) as url, ApiThread(ApiSettings(Upstream(url=url))) as api:
        results["seed API _create_completion (this project)"] = [seed_api(url) for _ in range(runs)]
        results["BingClient.ask, cold"] = [engine_cold(url) for _ in range(runs)]
        results["BingClient.ask, warm (next turn)"] = engine_warm_runs(url, runs)
        results["Client (OpenAI-style), cold"] = [openai_client(url) for _ in range(runs)]
        results["g4f api, cold"] = [api_first(api)[0] for _ in range(runs)]
        _, conversation = api_first(api)
        results["g4f api, warm (conversation_id)"] = [
            api_first(api, conversation)[0] for _ in range(runs)
        ]
        if shape == "body":  # the seed reads the signature from the body only
            results["seed's original (g4f 0.0.1.5)"] = run_seed("ttft", url, str(runs))["ttft"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=int, nargs="+", default=[50, 200], help="RTTs in ms")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--service", nargs="+", choices=("bing", "m365"), default=["bing", "m365"])
    args = parser.parse_args()
    report: dict[str, object] = {}
    for rtt in args.rtt:
        cases: list[tuple[str, str, Callable[[], dict[str, list[float]]]]] = []
        if "bing" in args.service:
            for shape in ("body", "headers"):
                cases.append(
                    (
                        f"rtt{rtt}-{shape}",
                        f"Bing, signature in {shape}",
                        functools.partial(measure, rtt, shape, args.runs),
                    )
                )
        if "m365" in args.service:
            cases.append(
                (
                    f"rtt{rtt}-m365",
                    "Microsoft 365 Copilot",
                    functools.partial(measure_m365, rtt, args.runs),
                )
            )
        for key, title, run in cases:
            results = run()
            report[key] = results
            print(f"\nRTT {rtt} ms, {title}:")
            print("| entry point | median ms | median RTTs | min RTTs | max RTTs |")
            print("|---|---|---|---|---|")
            for name, values in results.items():
                rtts = [v * 1000 / rtt for v in values]
                print(
                    f"| {name} | {statistics.median(values) * 1000:.0f} | "
                    f"{statistics.median(rtts):.2f} | {min(rtts):.2f} | {max(rtts):.2f} |"
                )
    RESULTS.mkdir(exist_ok=True)
    name = (
        "ttft.json"
        if set(args.service) == {"bing", "m365"}
        else f"ttft-{'-'.join(args.service)}.json"
    )
    (RESULTS / name).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
