"""Hardening II (issue 21): a hostile upstream, a failing disk and a new user's inputs.

Each test fails on the code before the issue's fix; none depends on timing.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

from g4f import errors
from g4f.api.store.sqlite import SqliteStore
from g4f.client import NO_RETRY, BingClient, M365Client, Timeouts
from g4f.hub import Hub, make_test_token, running_hub
from g4f.protocol import TextDelta
from g4f.protocol.conversation import Conversation
from g4f.services.bing import Cookies
from g4f.services.m365.reader import M365TurnReader
from g4f.urls import Redactor

from .common import PROMPT

PATIENT = Timeouts(read=30, connect=30, stop=30)
"""Deadlines no passing test comes near, even on a busy machine."""


class _Counted(str):
    """A delta that counts the characters copied by every concatenation it takes part in (a
    ``str`` subclass's reflected ``__radd__`` runs before ``str.__add__``)."""

    copied: list[int]

    def __radd__(self, other: str) -> str:
        self.copied[0] += len(other) + len(self)
        return str.__add__(other, str(self))

    def __add__(self, other: str) -> str:
        self.copied[0] += len(self) + len(other)
        return str.__add__(str(self), other)


def _pieces(count: int, copied: list[int]) -> list[_Counted]:
    pieces = []
    for _ in range(count):
        piece = _Counted("abcdefgh")
        piece.copied = copied
        pieces.append(piece)
    return pieces


def test_m365_deltas_are_assembled_without_copying_the_answer_per_delta() -> None:
    copied = [0]
    reader = M365TurnReader()
    pieces = _pieces(20_000, copied)
    events: list[Any] = []
    for piece in pieces:
        record = {"type": 1, "target": "update", "arguments": [{"writeAtCursor": piece}]}
        events.extend(reader.read(record))
    size = 8 * len(pieces)
    assert len(events) == len(pieces) and all(isinstance(e, TextDelta) for e in events)
    assert reader.text == "abcdefgh" * len(pieces)
    # Linear: each character copied a bounded number of times (quadratic would be ~10_000×).
    assert copied[0] <= 2 * size
    # A snapshot after the deltas still adds only what extends them.
    snapshot = {"author": "bot", "messageType": "Chat", "messageId": "m", "text": reader.text + "!"}
    update = {"type": 1, "target": "update", "arguments": [{"messages": [snapshot]}]}
    assert reader.read(update) == [TextDelta("!")]


# -- 7, 8: a token the server repeats back reaches no message, no repr, no chained cause -------


def _forms(token: str) -> list[str]:
    """What must not appear: the token, URL-encoded (once, twice), its signature alone."""
    encoded = quote(token, safe="")
    return [token, encoded, quote(encoded, safe=""), token.split(".")[2]]


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it holds on to: causes and contexts, recursively."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        link = todo.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        todo.extend(e for e in (link.__cause__, link.__context__) if e is not None)


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), repr(vars(error)), repr(error.args)]


ECHOES = [
    ("echo-close", errors.ConnectionClosed),
    ("echo-completion", errors.RequestRefused),
    ("echo-result", errors.RequestRefused),
]


@pytest.mark.parametrize(("scenario", "error"), ECHOES)
async def test_a_token_the_server_echoes_reaches_no_error_text_or_cause(
    hub: Hub, scenario: str, error: type[errors.G4FError]
) -> None:
    hub.m365.scenario = scenario
    token = make_test_token()
    async with running_hub(hub) as url:
        m365 = M365Client(url=url, token=token, timeouts=PATIENT, retry=NO_RETRY)
        async with m365:
            with pytest.raises(error) as caught:
                await m365.ask_text(PROMPT)
    failure = caught.value
    assert "<redacted>" in failure.message and failure.partial_text  # the echo, taken out
    for link in _chain(failure):
        for text in _texts(link):
            assert not any(form in text for form in _forms(token)), (type(link), text)


def test_the_redactor_takes_out_every_form_of_a_token() -> None:
    token = make_test_token() + "+/="  # characters that percent-encoding changes
    lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(token, safe=""))
    redact = Redactor([token])
    text = redact(
        f"{token} {quote(token, safe='')} {lower} {quote_plus(token)} "
        f"{quote(quote(token, safe=''), safe='')} {token.split('.')[2]}"
    )
    assert text == " ".join(["<redacted>"] * 6)


def test_a_foreign_cause_becomes_a_redacted_one_and_no_context_is_kept() -> None:
    secret = "s3cr3t-value-1234"

    def failing() -> None:
        try:
            raise ValueError(f"bad doc {secret}")  # like orjson's JSONDecodeError.doc
        except ValueError as exc:
            raise errors.ProtocolError(f"not JSON: {secret}") from exc

    try:
        failing()
    except errors.ProtocolError as exc:
        caught = exc
    redacted = errors.redacted(caught, Redactor([secret]))
    assert redacted.message == "not JSON: <redacted>"
    cause = redacted.__cause__
    assert isinstance(cause, errors.RedactedCause) and cause.message == "bad doc <redacted>"
    assert redacted.__context__ is None and cause.__context__ is None


# -- 10: cassettes are private and hold no form of a secret ----------------------------------


async def test_a_cassette_is_0600_and_holds_no_form_of_the_token(hub: Hub, tmp_path: Path) -> None:
    hub.m365.scenario = "echo-result"
    token, cassette = make_test_token(), tmp_path / "turn.jsonl"
    async with running_hub(hub) as url:
        m365 = M365Client(url=url, token=token, timeouts=PATIENT, retry=NO_RETRY, record=cassette)
        async with m365:
            with pytest.raises(errors.RequestRefused):
                await m365.ask_text(PROMPT)
    assert stat.S_IMODE(cassette.stat().st_mode) == 0o600
    text = cassette.read_text()
    assert "<redacted>" in text and "InternalError" in text  # the echo was recorded, redacted
    assert not any(form in text for form in _forms(token))


# -- a loopback web server that is no ChatHub ---------------------------------------------------


@contextlib.asynccontextmanager
async def serving(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    """``handler`` answering every path on a free loopback port; its base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


PAGE = b"<html><body><h1>404 Not Found</h1><hr>nginx</body></html>"


# -- 16, 17: an answer without a charset, a wrong path ------------------------------------------


@pytest.mark.parametrize("content_type", ["text/html", "application/octet-stream", None])
async def test_a_404_page_without_a_charset_is_not_a_chathub_endpoint_at_once(
    content_type: str | None,
) -> None:
    seen: list[str] = []

    async def page(request: web.Request) -> web.StreamResponse:
        seen.append(request.path)
        response = web.Response(status=404, body=PAGE)
        if content_type is None:
            response.headers.popall("Content-Type", None)
            response.content_type = ""  # aiohttp would add application/octet-stream
        else:
            response.content_type = content_type
        return response

    async with serving(page) as url, BingClient(url=url, timeouts=PATIENT) as bing:
        with pytest.raises(errors.ProtocolError, match="not a ChatHub endpoint") as caught:
            await bing.ask_text(PROMPT)
    assert "web page" in caught.value.message and "check the endpoint URL" in str(caught.value)
    assert seen.count("/turing/conversation/create") == 1  # a wrong URL is not retried


async def test_bings_plain_404_stays_rate_limited_and_mentions_a_wrong_url() -> None:
    async def throttled(request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text="")

    async with serving(throttled) as url, BingClient(url=url, retry=NO_RETRY) as bing:
        with pytest.raises(errors.RateLimited, match="HTTP 404") as caught:
            await bing.ask_text(PROMPT)
    assert "check the URL" in caught.value.message


async def test_a_404_at_the_m365_upgrade_says_the_url_is_wrong() -> None:
    async def missing(request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text="Not Found")

    async with serving(missing) as url:
        m365 = M365Client(url=url, token=make_test_token(), timeouts=PATIENT, retry=NO_RETRY)
        async with m365:
            with pytest.raises(errors.ProtocolError, match="HTTP 404") as caught:
                await m365.ask_text(PROMPT)
    assert "URL is wrong" in str(caught.value) and "try again" not in str(caught.value)
    assert not caught.value.transient


# -- 9: no redirect to another origin, with credentials -----------------------------------------


@pytest.mark.parametrize("status", [302, 307])
async def test_no_redirect_to_another_origin_is_followed(status: int) -> None:
    elsewhere: list[str] = []

    async def other(request: web.Request) -> web.StreamResponse:
        elsewhere.append(request.path_qs)
        return web.Response(status=200, text="{}")

    async with serving(other) as target:

        async def redirect(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": target + request.path_qs})

        async with serving(redirect) as url:
            token = make_test_token()
            m365 = M365Client(url=url, token=token, timeouts=PATIENT, retry=NO_RETRY)
            bing = BingClient(url=url, timeouts=PATIENT, retry=NO_RETRY, cookies="_U=" + "u" * 20)
            async with m365, bing:
                for client in (m365, bing):
                    with pytest.raises(errors.ProtocolError, match="another origin") as caught:
                        await client.ask_text(PROMPT)
                    assert target.removeprefix("http://") in caught.value.message
                    assert not caught.value.transient
    assert elsewhere == []  # neither the upgrade (token in its query) nor the create went there


# -- 19: what a failure to connect means, in words -----------------------------------------------


async def test_a_refused_connection_says_so(refused_address: str) -> None:
    async with BingClient(url=f"http://{refused_address}", retry=NO_RETRY) as bing:
        with pytest.raises(errors.ConnectError, match="connection refused") as caught:
            await bing.ask_text(PROMPT)
    assert "ClientConnectorError" not in str(caught.value)
    assert "check the port" in str(caught.value)


async def test_https_to_a_plain_http_server_says_to_use_http() -> None:
    async def plain(request: web.Request) -> web.StreamResponse:
        return web.Response(text="hello")

    async with serving(plain) as url:
        secure = url.replace("http://", "https://")
        async with BingClient(url=secure, retry=NO_RETRY, timeouts=PATIENT) as bing:
            with pytest.raises(errors.ConnectError, match="does not speak TLS") as caught:
                await bing.ask_text(PROMPT)
    assert "use http://" in str(caught.value)


# -- 19: a binary file where a text file belongs is named ----------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def test_a_binary_cookie_file_is_named(tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    with pytest.raises(ValueError, match=r"cat\.png is not a text file") as caught:
        Cookies.from_file(image)
    assert "codec" not in str(caught.value) and caught.value.__context__ is None


def test_a_binary_cassette_is_named(tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    with pytest.raises(ValueError, match=r"cat\.png is not a cassette") as caught:
        Hub.from_cassette(image)
    assert "codec" not in str(caught.value)


def test_g4f_chat_with_a_binary_cookie_file_names_it(tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    result = subprocess.run(
        [sys.executable, "-m", "g4f", "chat", "--cookies", str(image), "hi"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0 and "cat.png is not a text file" in result.stderr
    assert "codec can't decode" not in result.stderr


# -- 15: a fatal signal leaves a line in the API's log --------------------------------------------

CRASH = """
import os, signal
import g4f.api.server as server
from g4f.api import ApiSettings

async def crash(*args, **kwargs):  # in place of uvicorn: the process dies while serving
    os.kill(os.getpid(), signal.SIGSEGV)

server.serve = crash
server.run(ApiSettings())
"""


def test_a_fatal_signal_while_serving_leaves_a_line_in_the_log() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    result = subprocess.run(
        [sys.executable, "-c", CRASH], capture_output=True, text=True, timeout=120, env=environment
    )
    assert result.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in result.stderr
    assert "in crash" in result.stderr  # where it died


# -- 13, 14: a SQLite store on a failing disk ----------------------------------------------------


class _FullDisk(SqliteStore):
    """A store whose disk fills up at once: SQLite's own SQLITE_FULL, through the seam that
    opens its connections."""

    def _connect(self) -> sqlite3.Connection:
        db = super()._connect()
        db.execute("PRAGMA max_page_count=1")
        return db


class _ReadOnly(SqliteStore):
    """A store whose file can only be read: SQLite's own SQLITE_READONLY."""

    def _connect(self) -> sqlite3.Connection:
        uri = f"file:{self.path}?mode=ro"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


@pytest.mark.parametrize(
    ("store", "said", "advice"),
    [
        (_FullDisk, "the disk is full", "free space"),
        (_ReadOnly, "read-only", "--store memory://"),
    ],
)
async def test_a_full_or_read_only_disk_at_start_is_not_called_damage(
    tmp_path: Path, store: type[SqliteStore], said: str, advice: str
) -> None:
    failing = store(tmp_path / "conversations.db", 3600, 100)
    with pytest.raises(errors.StoreError) as caught:
        await failing.open()
    await failing.close()
    message = str(caught.value)
    assert said in message and advice in message
    assert "damaged" not in message and "move it aside" not in message


async def test_a_damaged_file_is_still_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    path.write_bytes(b"not a database " * 100)
    with pytest.raises(errors.StoreError, match="damaged or not a SQLite database"):
        await SqliteStore(path, 3600, 100).open()


async def test_a_store_whose_directory_is_removed_acknowledges_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    store = SqliteStore(directory / "conversations.db", 3600, 100)
    await store.open()
    try:
        await store.put("bing", Conversation("c1", "u", signature="s"))
        shutil.rmtree(directory)
        with pytest.raises(errors.StoreUnavailable, match="removed or replaced while serving"):
            await store.put("bing", Conversation("c2", "u", signature="s"))
        with pytest.raises(errors.StoreUnavailable):
            await store.get("c1")
    finally:
        await store.close()
