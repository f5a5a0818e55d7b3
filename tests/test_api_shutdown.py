"""Stopping ``g4f api`` while it streams (issue 21, point 5): open streams end with an error
event saying the server stops, the exit status is the signal's (130, 143), no traceback. Only a
real process shows a signal's handling; in-process, the same ``stopping`` event."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from g4f.api import create_app
from g4f.engine.fake import FakeBackend
from g4f.hub import Hub
from g4f.hub.thread import HubThread
from g4f.protocol import Final, TextDelta

from .asgi import leave_when

USER = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def slow_hub() -> Iterator[str]:
    """A hub that sends one websocket message a second: a stream still runs when stopped."""
    with HubThread(Hub(pace=1.0)) as url:
        yield url


def last_event(lines: list[str]) -> dict[str, object]:
    data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    assert data and data[-1] != "[DONE]", lines
    event = json.loads(data[-1])
    assert isinstance(event, dict)
    return event


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_open_streams_with_an_error_event(
    slow_hub: str, sig: signal.Signals, status: int
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "g4f", "api", "--port", "0", "--url", slow_hub],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    try:
        assert process.stderr is not None
        listening = re.search(r"listening on (http://\S+?)/v1 ", process.stderr.readline())
        assert listening is not None
        body = {"messages": USER, "stream": True}
        lines: list[str] = []
        with httpx.stream(
            "POST", listening[1] + "/v1/chat/completions", json=body, timeout=60
        ) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                lines.append(line)
                if len(lines) == 3:  # the role chunk and a first piece of the answer
                    process.send_signal(sig)
        started = time.monotonic()
        code = process.wait(timeout=60)
        rest = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    error = last_event(lines)["error"]
    assert isinstance(error, dict)
    assert error["code"] == "server_stopping" and "stopping" in str(error["message"])
    assert code == status
    assert "Traceback" not in rest and "CancelledError" not in rest
    assert time.monotonic() - started < 4  # not the 5 s graceful-shutdown timeout


async def test_stopping_ends_a_whole_answer_with_a_503() -> None:
    never = asyncio.Event()
    stopping = asyncio.Event()
    backend = FakeBackend([TextDelta("Hel"), never, Final("Hello")])
    app = create_app(backend=backend, stopping=stopping)
    from .asgi import lifespan

    async with lifespan(app):
        asyncio.get_running_loop().call_later(0, stopping.set)
        sent = await leave_when(app, {"messages": USER}, asyncio.Event())
    assert sent[0]["status"] == 503
    assert json.loads(sent[1]["body"])["error"]["code"] == "server_stopping"
    assert backend.stopped == 1
