"""The benchmark harness's own parts: the transcript generator and the load generator."""

from __future__ import annotations

import json

from benchmarks.decode import core
from benchmarks.loadgen import StreamResult, lateness, offsets, percentile, run, summary
from benchmarks.transcript import answer_text, transcript

from g4f.api import ApiThread
from g4f.client import Timeouts
from g4f.hub import Hub, HubThread
from g4f.hub.responder import words_responder
from g4f.protocol import RecordDecoder

from .common import api_settings


def records_of(messages: list[str]) -> list[dict[str, object]]:
    decoder = RecordDecoder()
    return [record for message in messages for record in decoder.feed(message)]


def test_the_transcript_is_deterministic() -> None:
    assert transcript(4000) == transcript(4000)
    assert transcript(4000, seed=1) != transcript(4000)


def test_the_transcript_is_long_enough_and_shaped_like_chathub() -> None:
    messages = transcript(4000)
    records = records_of(messages)
    updates = [r for r in records if r["type"] == 1]
    assert len(updates) >= 400
    assert 3900 <= len(answer_text(4000)) <= 4000
    answer = updates[-1]["arguments"][0]["messages"][0]  # type: ignore[index]
    assert answer["adaptiveCards"][0]["body"][0]["type"] == "TextBlock"
    assert len(answer["sourceAttributions"]) == 3
    assert [r["type"] for r in records[-2:]] == [2, 3]
    assert any(m.count("\x1e") == 2 for m in messages[:-1])  # some updates share a message


def test_the_core_rebuilds_the_transcripts_answer() -> None:
    for chars in (1000, 4000, 16000):
        assert core(transcript(chars)) == answer_text(chars)


def test_lateness_is_measured_against_the_baseline() -> None:
    result = StreamResult(start=0.0, chunks=[10.0, 10.1, 10.3, 10.35])
    assert [round(x, 6) for x in offsets(result)] == [0.0, 0.1, 0.3, 0.35]
    late = lateness(result, [0.0, 0.1, 0.2, 0.3])
    assert [round(x, 6) for x in late] == [0.0, 0.1, 0.05]
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0 and percentile([], 0.5) is None


def test_the_summary_counts_failures_by_kind() -> None:
    results = [
        StreamResult(0.0, [1.0, 1.1]),
        StreamResult(0.0, [], error="RuntimeError: HTTP 502"),
        StreamResult(0.0, []),
    ]
    report = summary(results, [0.0, 0.1])
    assert (report["completed"], report["failed"]) == (1, 2)
    assert report["errors"] == {"RuntimeError": 1, "no chunks": 1}
    assert report["ttft_p50"] == 1.0
    json.dumps(report)


def test_the_load_generator_runs_streams_against_the_hub_and_the_api() -> None:
    import asyncio

    hub = Hub(responder=words_responder(12), pace=0.001, max_turns=1000)
    with HubThread(hub) as hub_url, ApiThread(api_settings(url=hub_url)) as api_url:
        direct = asyncio.run(run("hub", hub_url, 3, 0.0))
        through = asyncio.run(run("api", api_url, 3, 0.0))
    assert [len(r.chunks) for r in direct] == [12, 12, 12]
    assert [len(r.chunks) for r in through] == [12, 12, 12]
    assert all(r.error is None for r in direct + through)


QUICK = Timeouts(connect=10, create=10, read=10, turn=2, ping_interval=1, close=0.2)
"""The soak's upstream deadlines, shortened where a fault is cut by one: a trickle by the 2 s
turn deadline. An answer that should succeed has ten times what it needs on a loaded machine."""

LEAVING = Timeouts(connect=10, create=10, read=30, turn=30, ping_interval=1, close=0.2)
"""Deadlines far past any wait of the test: an upstream turn that ends soon after its caller
left was ended by the leaving, not by a deadline."""


def test_the_soak_counts_every_session_and_reports_each_process() -> None:
    from benchmarks.soak import soak

    scenarios = ("stream", "fail:Throttled", "trickle")
    report = soak(6, 3, scenarios, timeouts=QUICK, hang=10, settle=0.1).to_json()
    assert report["sessions"] == 6 and report["ok"] == 2
    assert report["typed_by_code"] == {"upstream_rate_limited": 2, "upstream_timeout": 2}
    assert (report["untyped_failures"], report["hangs"]) == (0, 0)
    assert set(report["processes"]) == {"api_before", "api_after", "soak_before", "soak_after"}


def test_the_soaks_new_faults_leave_mid_answer_and_echo_no_token() -> None:
    from benchmarks.soak import soak

    scenarios = ("leave-whole:trickle", "leave-stream:trickle", "m365:echo-result")
    report = soak(6, 2, scenarios, timeouts=LEAVING, hang=20, settle=0.1).to_json()
    assert report["left_mid_answer"] == 4  # both kinds of callers left before the answer ended
    assert report["typed_by_code"] == {"request_refused": 2}  # the echo, its token redacted
    assert (report["untyped_failures"], report["hangs"]) == (0, 0)
    # The upstream turns stopped when their callers left (measured: about a second at most
    # under load), not at the 30 s turn deadline.
    assert all(s < 15 for s in report["upstream_closed_after_leaving_s"].values()), report
    assert {"m365_api_before", "m365_api_after"} <= set(report["processes"])


async def test_the_soak_finds_any_form_of_the_token_in_an_answer() -> None:
    from urllib.parse import quote

    import httpx
    from benchmarks.soak import session

    from g4f.hub import make_test_token

    token = make_test_token()
    error = '{"error": {"message": "%s", "type": "t", "param": null, "code": "c"}}'
    payload = token.split(".")[1]  # one part alone, percent-encoded twice
    bodies = {"clean": error % "nothing", "leak": error % quote(quote(payload, safe=""))}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, text=bodies[request.url.host])

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        clean = await session(client, "http://clean", 1, secrets=(token,))
        leak = await session(client, "http://leak", 1, secrets=(token,))
    assert clean == "typed:c"
    assert leak == "untyped:a form of the token reached the caller"


def test_the_soak_tells_typed_from_untyped_answers() -> None:
    from benchmarks.soak import classify

    error = b'{"error": {"message": "m", "type": "t", "param": null, "code": "c"}}'
    assert classify(429, error, stream=False) == "typed:c"
    assert classify(500, b"Internal Server Error", stream=False).startswith("untyped:")
    assert classify(200, b"data: {}\n\ndata: [DONE]\n\n", stream=True) == "ok"
    assert classify(200, b"data: {}\n\n", stream=True).startswith("untyped:")
