"""``g4f api`` with its conversation store: across restarts (SQLite), across processes (Redis and
``--workers``), one turn per conversation at a time, and the store failing — real processes,
a real redis-server, the official ``openai`` package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from g4f.api import ApiThread
from g4f.client import NO_RETRY
from g4f.hub import Hub, Reply, TurnRequest, echo_responder

from .common import api_settings
from .redis_server import RedisServer


def responder(request: TurnRequest) -> Reply:
    if request.prompt == "hold":  # half an answer, then silence: the turn stays running
        return Reply(text=" ".join(f"w{i}" for i in range(40)), scenario="silence-mid")
    return echo_responder(request)


@pytest.fixture
def hub() -> Hub:
    return Hub(responder=responder)


def ask(api_url: str, prompt: str, conversation_id: str | None = None) -> httpx.Response:
    body: dict[str, object] = {"messages": [{"role": "user", "content": prompt}]}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return httpx.post(api_url + "/v1/chat/completions", json=body, timeout=60)


def answer(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["message"]["content"])


class ApiProcess:
    """``g4f api`` as a real process on port 0 (the kernel's choice, which its start-up line
    reports: no race for a free port); its start-up line is kept."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "g4f", "api", "--port", "0", *args],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
        assert self.process.stderr is not None
        self.startup = self.process.stderr.readline()
        listening = re.match(r"g4f api listening on (http://\S+?)/v1 ", self.startup)
        assert listening is not None, self.startup + self.rest()
        self.url = listening[1]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the workers start after the line
            try:
                if httpx.get(self.url + "/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("g4f api did not become healthy")

    def rest(self) -> str:
        """Stop it; what it wrote to stderr after the start-up line."""
        self.process.terminate()
        assert self.process.stderr is not None
        rest = self.process.stderr.read()  # the same reader: what it buffered is kept
        self.process.wait(timeout=30)
        self.process.stderr.close()
        return rest

    def stop(self) -> None:
        if self.process.poll() is None:
            self.rest()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def g4f_api(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "g4f", "api", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- SQLite: a restart ------------------------------------------------------------------------


def test_a_conversation_continues_across_a_restart(thread_hub: str, tmp_path: Path) -> None:
    settings = api_settings(url=thread_hub, store=f"sqlite:///{tmp_path / 'c.sqlite3'}")
    with ApiThread(settings) as api_url:
        first = ask(api_url, "Remember the number 42.")
        conversation_id = first.json()["conversation_id"]
    with ApiThread(settings) as api_url:  # a new server, the same file
        second = answer(ask(api_url, "What was it?", conversation_id))
    assert "We spoke 1 time(s) before; you last said: «Remember the number 42.»" in second
    assert "turn 2" in second


def test_the_default_store_is_a_private_file_in_the_data_directory(
    thread_hub: str, tmp_path: Path
) -> None:
    api = ApiProcess("--url", thread_hub)
    try:
        conversation_id = ask(api.url, "hello").json()["conversation_id"]
    finally:
        api.stop()
    path = Path(os.environ["XDG_DATA_HOME"]) / "g4f" / "conversations.sqlite3"
    assert f"conversations: sqlite:///{path}" in api.startup
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert conversation_id.encode() in path.read_bytes() + b"".join(
        p.read_bytes() for p in path.parent.glob("*-wal")
    )


def test_the_start_up_line_says_when_signatures_are_in_clear(thread_hub: str) -> None:
    api = ApiProcess("--url", thread_hub)
    rest = api.rest()
    assert "signatures are stored in clear" in rest and "--store-key" in rest
    keyed = ApiProcess("--url", thread_hub, "--store-key", "an operator key")
    assert "in clear" not in keyed.rest()


def test_a_corrupt_store_file_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"not a database " * 200)
    result = g4f_api("--store", f"sqlite:///{path}")
    assert result.returncode == 2
    assert str(path) in result.stderr and "move it aside" in result.stderr
    assert "Traceback" not in result.stderr


# -- Redis: several processes ---------------------------------------------------------------


def test_a_conversation_started_on_one_worker_continues_on_another(
    thread_hub: str, redis_server: RedisServer
) -> None:
    one = ApiProcess("--url", thread_hub, "--store", redis_server.url)
    two = ApiProcess("--url", thread_hub, "--store", redis_server.url)
    try:
        assert f"conversations: {redis_server.url}" in one.startup
        with openai.OpenAI(base_url=one.url + "/v1", api_key="x", max_retries=0) as client:
            first = client.chat.completions.create(
                model="gpt-4", messages=[{"role": "user", "content": "I am Ada."}]
            )
        conversation_id = first.model_dump()["conversation_id"]
        second = answer(ask(two.url, "Who am I?", conversation_id))
    finally:
        one.stop()
        two.stop()
    assert "you last said: «I am Ada.»" in second and "turn 2" in second


def test_concurrent_turns_of_one_conversation_run_one_at_a_time(
    thread_hub: str, redis_server: RedisServer
) -> None:
    one = ApiProcess("--url", thread_hub, "--store", redis_server.url)
    two = ApiProcess("--url", thread_hub, "--store", redis_server.url)
    try:
        conversation_id = ask(one.url, "start").json()["conversation_id"]
        body = {
            "messages": [{"role": "user", "content": "hold"}],
            "conversation_id": conversation_id,
            "stream": True,
        }
        with httpx.stream("POST", one.url + "/v1/chat/completions", json=body, timeout=60) as held:
            lines = held.iter_lines()  # kept: a closed iterator would close the response
            while "w3" not in next(lines):
                pass  # until the first turn is running on worker one
            busy = ask(two.url, "meanwhile", conversation_id)
            assert busy.status_code == 429
            error = busy.json()["error"]
            assert error["code"] == "conversation_busy" and error["param"] == "conversation_id"
        # The caller left: the turn ends and its lease is given back (soon, not at once).
        deadline = time.monotonic() + 30
        after = ask(two.url, "after", conversation_id)
        while after.status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.05)
            after = ask(two.url, "after", conversation_id)
        assert "«after»" in answer(after)
    finally:
        one.stop()
        two.stop()


def test_redis_unreachable_at_start_refuses_to_start(refused_address: str) -> None:
    result = g4f_api("--store", f"redis://{refused_address}/0")
    assert result.returncode == 2
    assert "cannot be reached" in result.stderr and "--store" in result.stderr


def test_redis_lost_while_serving_is_503_and_recovers(
    thread_hub: str, redis_server: RedisServer
) -> None:
    settings = api_settings(url=thread_hub, store=redis_server.url, retry=NO_RETRY)
    with ApiThread(settings) as api_url:
        assert answer(ask(api_url, "before"))
        redis_server.stop()
        down = ask(api_url, "during")
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "store_unavailable"
        redis_server.start()
        assert "«after»" in answer(ask(api_url, "after"))


# -- --workers ------------------------------------------------------------------------------


def test_workers_share_a_port_and_a_store(thread_hub: str, tmp_path: Path) -> None:
    api = ApiProcess(
        "--url", thread_hub, "--workers", "2", "--store", f"sqlite:///{tmp_path / 'c.db'}"
    )
    try:
        assert "2 workers" in api.startup
        conversation_id = ask(api.url, "one").json()["conversation_id"]
        replies = [answer(ask(api.url, f"turn {n}", conversation_id)) for n in range(2, 6)]
    finally:
        api.stop()
    assert [f"turn {n}." in reply for n, reply in enumerate(replies, start=2)] == [True] * 4
    assert api.process.returncode == 0


def test_workers_with_a_memory_store_are_refused() -> None:
    result = g4f_api("--workers", "2", "--store", "memory://")
    assert result.returncode == 2 and "needs a store the workers share" in result.stderr


def test_the_stored_conversation_holds_no_credentials_but_bings_signature(
    thread_hub: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.sqlite3"
    with ApiThread(
        api_settings(url=thread_hub, store=f"sqlite:///{path}", store_key="k")
    ) as api_url:
        ask(api_url, "hello")
    import sqlite3

    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT data FROM conversations").fetchone()
    stored = json.loads(data)
    assert stored["service"] == "bing"
    assert stored["conversation"]["signature"].startswith("enc:v1:")
    assert set(stored["conversation"]) == {
        "conversation_id", "client_id", "signature", "encrypted_signature", "style", "turn",
        "expiry_time", "answered", "tone",
    }  # fmt: skip


def test_m365_conversations_are_stored_too_and_kept_apart(
    hub: Hub, thread_hub: str, tmp_path: Path
) -> None:
    from g4f.hub import make_test_token

    store, token = f"sqlite:///{tmp_path / 'c.sqlite3'}", make_test_token()
    m365 = api_settings(url=thread_hub, store=store, service="m365", token=token)
    with ApiThread(m365) as api_url:
        conversation_id = ask(api_url, "Remember 7.").json()["conversation_id"]
    with ApiThread(m365) as api_url:  # restarted
        later = answer(ask(api_url, "What was it?", conversation_id))
    assert "you last said: «Remember 7.»" in later
    assert [a["isStartOfSession"] for a in hub.m365.invocations] == [False, False]  # as the browser
    with ApiThread(api_settings(url=thread_hub, store=store)) as bing_url:  # Bing's server
        assert ask(bing_url, "x", conversation_id).status_code == 404
    written = b"".join(p.read_bytes() for p in tmp_path.glob("c.sqlite3*"))
    assert conversation_id.encode() in written and token.split(".")[1].encode() not in written


def test_a_conversation_stored_with_another_key_is_a_clear_500(
    thread_hub: str, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    with ApiThread(api_settings(url=thread_hub, store=store, store_key="first")) as api_url:
        conversation_id = ask(api_url, "hello").json()["conversation_id"]
    with ApiThread(api_settings(url=thread_hub, store=store, store_key="second")) as api_url:
        response = ask(api_url, "again", conversation_id)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "store_error" and "not the key it was stored with" in error["message"]
