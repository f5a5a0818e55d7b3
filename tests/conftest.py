"""Shared fixtures: a local hub in-process on a free loopback port, and leak checks."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from g4f.client import BingClient, RetryPolicy, Timeouts
from g4f.hub import Hub, HubThread, running_hub


@pytest.fixture(autouse=True)
def private_data_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's data and state directories are a temporary one's, for this test and the
    processes it starts (``g4f api`` keeps its conversations there by default)."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Every test ends with no helper thread of ours still running."""
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("g4f-") and t.is_alive()]
    assert leaked == []


@pytest.fixture(autouse=True)
async def no_pending_tasks() -> AsyncIterator[None]:
    """Every async test ends with no task left pending besides the test's own."""
    yield
    for _ in range(3):  # let finalizers the loop scheduled (async generators closing) run
        await asyncio.sleep(0)
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert pending == []


@pytest.fixture
def hub() -> Hub:
    """A hub with the default scenario, answering as fast as possible."""
    return Hub()


@pytest.fixture
async def hub_url(hub: Hub) -> AsyncIterator[str]:
    """The base URL of ``hub`` served in-process; asserts every websocket was closed."""
    async with running_hub(hub) as url:
        yield url
        await hub.wait_closed()
        assert hub.open_websockets == 0


class FakeSleep:
    """Records the delays a retry policy asks for instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    """A sleep for :class:`RetryPolicy` that records and returns at once."""
    return FakeSleep()


@pytest.fixture
async def client(hub_url: str, fake_sleep: FakeSleep) -> AsyncIterator[BingClient]:
    """A client pointed at the in-process hub; its retries do not wait, and its read deadline
    is far from any a passing test could reach on a busy machine (tests of a deadline make
    their own client)."""
    retry = RetryPolicy(sleep=fake_sleep, random=lambda: 0.5)
    async with BingClient(
        url=hub_url, timeouts=Timeouts(read=30, ping_interval=1), retry=retry
    ) as c:
        yield c


@pytest.fixture
def tls_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    """A hub over HTTPS (its identity platform for msal), its CA trusted through
    ``$REQUESTS_CA_BUNDLE``, the sign-in's state in ``tmp_path`` and its cache a file."""
    hub = Hub(tls=True)
    certificate = hub.make_certificate(tmp_path / "cert")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.ca))
    monkeypatch.setenv("G4F_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("G4F_TOKEN_CACHE", "file")
    with HubThread(hub) as url:
        assert url.startswith("https://")
        yield hub, url


@pytest.fixture
def hub_thread(hub: Hub) -> Iterator[HubThread]:
    """``hub`` served from a background thread, for sync code."""
    thread = HubThread(hub)
    thread.start()
    yield thread
    thread.wait_closed()
    assert hub.open_websockets == 0
    thread.stop()


@pytest.fixture
def thread_hub(hub_thread: HubThread) -> str:
    """The base URL of the hub served from a background thread."""
    return hub_thread.url


@pytest.fixture
def refused_address() -> Iterator[str]:
    """``127.0.0.1:PORT`` where connecting is refused for the whole test: a socket is bound
    there and never listens, so the port cannot be taken by anything else meanwhile, and a
    connect gets ECONNREFUSED (Linux) — unlike a port closed again or a guessed one like 9."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"
