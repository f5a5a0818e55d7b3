"""What an error means lives on its class; how each surface says it (the CLI's exit status, the
API's HTTP status and OpenAI type/code) is that surface's table, read along the class's MRO."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from g4f import errors
from g4f.api.errors import OPENAI_ERRORS, openai_error_for
from g4f.cli import exit_code_for
from g4f.cli.exit_codes import EXIT_CODES
from g4f.engine.retry import is_transient
from g4f.urls import redact_text

ROOT = Path(__file__).resolve().parent.parent


def tree(cls: type[errors.G4FError]) -> list[type[errors.G4FError]]:
    return [cls, *(c for sub in cls.__subclasses__() for c in tree(sub))]


# The base class itself is never raised; classes tests define are not the package's.
ALL = [c for c in tree(errors.G4FError)[1:] if c.__module__ == "g4f.errors"]
HELPERS = {
    "G4FError",
    "MAX_RETRY_AFTER",
    "RedactedCause",
    "caused_by",
    "clamp_retry_after",
    "lookup",
    "redacted",
    "truncate",
}
# Their messages say what to do: no hint is appended (the API's bodies quote them as they are).
NO_HINT = {errors.BadRequest, errors.UnknownModel, errors.StoreError, errors.StoreUnavailable}


def make(cls: type[errors.G4FError]) -> errors.G4FError:
    return cls("x", tone="t") if cls is errors.UnknownTone else cls("x")  # type: ignore[call-arg]


def test_the_tree_is_the_documented_one() -> None:
    assert {c.__name__ for c in ALL} == set(errors.__all__) - HELPERS
    documented = re.findall(r"[├└]── (\w+)", errors.__doc__ or "")
    assert documented == [c.__name__ for c in ALL]  # the docstring's tree, in its order


def test_the_transport_errors_branch_as_httpx_does() -> None:
    network, timeout = errors.NetworkError, errors.TimeoutException
    assert {c for c in ALL if c.__base__ is errors.TransportError} == {network, timeout}
    assert {c for c in ALL if c.__base__ is network} == {
        errors.ConnectError,
        errors.ConnectionClosed,
    }
    assert {c for c in ALL if c.__base__ is timeout} == {
        errors.ConnectTimeout,
        errors.ResponseTimeout,
        errors.TurnTimeout,
    }
    # Never reaching the service is not "closed mid-answer", nor "no answer in time".
    assert not issubclass(errors.ConnectError, errors.ConnectionClosed)
    assert not issubclass(errors.ConnectTimeout, errors.ResponseTimeout)
    assert not issubclass(errors.TurnTimeout, errors.ResponseTimeout)


def test_only_errors_that_never_reached_the_service_are_safe_to_resend() -> None:
    assert {c for c in ALL if c.resend_safe} == {errors.ConnectError, errors.ConnectTimeout}


def test_the_request_and_store_errors_are_in_the_tree() -> None:
    from g4f.api.store import StoreError, StoreUnavailable
    from g4f.openai import BadRequest, UnknownModel

    assert (BadRequest, UnknownModel) == (errors.BadRequest, errors.UnknownModel)
    assert (StoreError, StoreUnavailable) == (errors.StoreError, errors.StoreUnavailable)
    bad = errors.UnknownModel("no such model", param="model", code="model_not_found")
    assert isinstance(bad, ValueError) and str(bad) == "no such model" and bad.param == "model"
    assert issubclass(errors.StoreUnavailable, errors.StoreError)
    assert errors.StoreUnavailable.transient and not errors.StoreError.transient


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_class_has_its_meaning_and_no_surface_codes(cls: type[errors.G4FError]) -> None:
    assert isinstance(cls.transient, bool)
    assert isinstance(cls.resend_safe, bool)
    assert bool(cls.hint.strip()) is (cls not in NO_HINT)
    for surface_field in ("exit_code", "http_status", "openai_type", "openai_code"):
        assert not hasattr(cls, surface_field)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_surface_has_a_code_for_every_class(cls: type[errors.G4FError]) -> None:
    assert exit_code_for(make(cls)) not in (0, 2, 70, 130, 141)  # the command's own
    entry = openai_error_for(make(cls))
    assert 400 <= entry.status <= 599
    # invalid_request_error: the caller asked for what the service does not have (a model).
    assert entry.type in (
        "upstream_error",
        "rate_limit_error",
        "invalid_request_error",
        "server_error",
    )
    assert entry.code and entry.code.islower() and " " not in entry.code


@pytest.mark.parametrize(
    ("cls", "transient", "exit_code", "status", "type_", "code"),
    [
        (errors.RateLimited, True, 3, 429, "rate_limit_error", "upstream_rate_limited"),
        (errors.ChallengeRequired, False, 4, 502, "upstream_error", "challenge_required"),
        (errors.NotAuthorized, False, 5, 502, "upstream_error", "not_authorized"),
        (errors.AccessDenied, False, 5, 502, "upstream_error", "access_denied"),
        (errors.ConversationExpired, False, 6, 502, "upstream_error", "conversation_expired"),
        (errors.ConversationInvalid, False, 6, 502, "upstream_error", "conversation_invalid"),
        (errors.Busy, False, 7, 429, "rate_limit_error", "upstream_rate_limited"),
        (errors.ResponseTimeout, True, 8, 504, "upstream_error", "upstream_timeout"),
        (errors.ConnectTimeout, True, 8, 504, "upstream_error", "upstream_timeout"),
        (errors.TurnTimeout, True, 8, 504, "upstream_error", "upstream_timeout"),
        (errors.ConnectionClosed, True, 9, 502, "upstream_error", "connection_closed"),
        (errors.ConnectError, True, 9, 502, "upstream_error", "connection_closed"),
        (errors.ProtocolError, False, 10, 502, "upstream_error", "protocol_error"),
        (errors.ServerError, True, 11, 502, "upstream_error", "server_error"),
        (errors.RequestRefused, False, 1, 502, "upstream_error", "request_refused"),
        (errors.Refused, False, 12, 400, "upstream_error", "content_filter"),
        (errors.UnknownTone, False, 13, 404, "invalid_request_error", "model_not_found"),
        (errors.BadRequest, False, 1, 400, "invalid_request_error", "invalid_request"),
        (errors.UnknownModel, False, 1, 404, "invalid_request_error", "model_not_found"),
        (errors.StoreError, False, 1, 500, "server_error", "store_error"),
        (errors.StoreUnavailable, True, 1, 503, "server_error", "store_unavailable"),
    ],
)
def test_the_documented_codes_per_class(
    cls: type[errors.G4FError], transient: bool, exit_code: int, status: int, type_: str, code: str
) -> None:
    error = make(cls)
    assert (is_transient(error), exit_code_for(error)) == (transient, exit_code)
    entry = openai_error_for(error)
    assert (entry.status, entry.type, entry.code) == (status, type_, code)


def test_a_bad_requests_own_code_is_its_answers() -> None:
    error = errors.BadRequest("'tools' is not supported", param="tools", code="not_supported")
    assert openai_error_for(error).code == "not_supported"


def test_the_exit_codes_are_the_documented_ones() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text[text.index("# Errors") :]
    rows = re.findall(r"^\| `(\w+)`[^\n]*\| (\d+) \|$", section, flags=re.M)
    assert len(rows) == 18
    for name, code in rows:
        assert exit_code_for(make(getattr(errors, name))) == int(code), name


def test_the_tables_are_read_along_the_mro() -> None:
    class Mine(errors.RateLimited):
        """A class no table names: its nearest base's codes."""

    class Elsewhere(errors.TimeoutException):
        """A new timeout: the branch's codes."""

    assert exit_code_for(Mine("x")) == 3 and openai_error_for(Mine("x")).status == 429
    assert exit_code_for(Elsewhere("x")) == 8 and openai_error_for(Elsewhere("x")).status == 504
    assert errors.lookup({errors.G4FError: "base"}, errors.TurnTimeout("x")) == "base"
    with pytest.raises(KeyError, match="TurnTimeout"):
        errors.lookup({errors.ServiceError: "service"}, errors.TurnTimeout("x"))
    assert errors.G4FError in EXIT_CODES and errors.G4FError in OPENAI_ERRORS


# -- a redacted cause instead of none --------------------------------------------------------

SECRET = "SECRET-TOKEN-123"


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it links to, by cause or by context."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def shows_secret(error: BaseException) -> bool:
    return any(SECRET in text for text in (str(error), repr(error), repr(vars(error))))


def test_redacted_text_keeps_where_a_url_points_not_its_credentials() -> None:
    text = f"401, message='Invalid response status', url='wss://h:1/c?x=1&access_token={SECRET}'"
    assert (
        redact_text(text) == "401, message='Invalid response status', url='wss://h:1/c?<redacted>'"
    )
    assert redact_text(f"token={SECRET} sent") == "token=<redacted> sent"
    assert redact_text("no URL here") == "no URL here"


def test_a_redacted_cause_keeps_the_type_and_the_chain_but_no_secret() -> None:
    try:
        try:
            raise OSError(f"refused for http://user:pw@host/?access_token={SECRET}")
        except OSError as inner:
            raise ConnectionError("wrapped") from inner
    except ConnectionError as exc:
        failure = errors.caused_by(errors.ConnectError("could not reach host"), exc)
    cause = failure.__cause__
    assert isinstance(cause, errors.RedactedCause) and failure.__suppress_context__
    assert cause.type_name == "ConnectionError" and cause.message == "wrapped"
    assert isinstance(cause.__cause__, errors.RedactedCause)
    assert cause.__cause__.message == "refused for http://<redacted>@host/?<redacted>"
    assert not any(shows_secret(e) for e in chain(failure))


@pytest.fixture
async def refusing() -> AsyncIterator[tuple[str, list[int]]]:
    """A loopback server that answers every request (a websocket upgrade too) with the HTTP
    status its list holds, and the URL it serves at."""
    status = [401]

    async def refuse(request: web.Request) -> web.Response:
        return web.Response(status=status[0], text="no")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", status
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("status", "error"), [(401, errors.NotAuthorized), (404, errors.ProtocolError)]
)
async def test_a_refused_upgrade_keeps_a_cause_without_the_token_in_its_url(
    refusing: tuple[str, list[int]], status: int, error: type[errors.G4FError]
) -> None:
    # Microsoft 365 Copilot's token travels in the upgrade URL (?access_token=…); aiohttp's
    # WSServerHandshakeError names that URL. 401 has the service's meaning; 404 is a wrong URL.
    from g4f.client import NO_RETRY, M365Client, Timeouts
    from g4f.hub import make_test_token

    url, answer = refusing
    answer[0] = status
    token = make_test_token()
    async with M365Client(
        url=url, token=token, timeouts=Timeouts(connect=30), retry=NO_RETRY
    ) as m365:
        with pytest.raises(error) as caught:
            await m365.ask_text("Hi")
    failure = caught.value
    assert f"HTTP {status}" in str(failure)
    cause = failure.__cause__
    assert isinstance(cause, errors.RedactedCause) and failure.__suppress_context__
    assert cause.type_name == "aiohttp.client_exceptions.WSServerHandshakeError"
    assert str(status) in cause.message and "?<redacted>" in cause.message
    assert failure.__context__ is None  # the original (with its URL) is not kept at all
    for linked in chain(failure):
        texts = (str(linked), repr(linked), repr(vars(linked)))
        assert not any(token in text or "access_token=" in text for text in texts)


def test_the_protocol_package_does_no_io() -> None:
    code = (
        "import sys, g4f.protocol, g4f.protocol.connection; "
        "print(sorted(m for m in ('aiohttp', 'asyncio', 'socket') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module", ["g4f.openai", "g4f.client", "g4f.api", "g4f.services", "g4f.cli"]
)
def test_every_package_imports_on_its_own(module: str) -> None:
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, timeout=60)
