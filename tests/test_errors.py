"""The error policy lives on the error classes: every class says what a caller can do."""

from __future__ import annotations

import subprocess
import sys

import pytest

from g4f import errors
from g4f.cli import exit_code_for
from g4f.engine.retry import is_transient


def tree(cls: type[errors.G4FError]) -> list[type[errors.G4FError]]:
    return [cls, *(c for sub in cls.__subclasses__() for c in tree(sub))]


ALL = tree(errors.G4FError)[1:]  # the base class itself is never raised


def test_the_tree_is_the_documented_one() -> None:
    helpers = {"G4FError", "MAX_RETRY_AFTER", "clamp_retry_after", "truncate"}
    assert {c.__name__ for c in ALL} == set(errors.__all__) - helpers


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_class_has_its_whole_policy(cls: type[errors.G4FError]) -> None:
    assert isinstance(cls.transient, bool)
    assert isinstance(cls.resend_safe, bool)
    assert isinstance(cls.exit_code, int) and cls.exit_code not in (0, 2, 130, 141)
    assert 400 <= cls.http_status <= 599
    # invalid_request_error: the caller asked for what the service does not have (a model).
    assert cls.openai_type in ("upstream_error", "rate_limit_error", "invalid_request_error")
    assert cls.openai_code and cls.openai_code.islower() and " " not in cls.openai_code
    assert cls.hint.strip()


@pytest.mark.parametrize(
    ("cls", "transient", "exit_code", "status", "code"),
    [
        (errors.RateLimited, True, 3, 429, "upstream_rate_limited"),
        (errors.ChallengeRequired, False, 4, 502, "challenge_required"),
        (errors.NotAuthorized, False, 5, 502, "not_authorized"),
        (errors.AccessDenied, False, 5, 502, "access_denied"),
        (errors.ConversationExpired, False, 6, 502, "conversation_expired"),
        (errors.ConversationInvalid, False, 6, 502, "conversation_invalid"),
        (errors.Busy, False, 7, 429, "upstream_rate_limited"),
        (errors.ResponseTimeout, True, 8, 504, "upstream_timeout"),
        (errors.ConnectTimeout, True, 8, 504, "upstream_timeout"),
        (errors.TurnTimeout, True, 8, 504, "upstream_timeout"),
        (errors.ConnectionClosed, True, 9, 502, "connection_closed"),
        (errors.ConnectError, True, 9, 502, "connection_closed"),
        (errors.ProtocolError, False, 10, 502, "protocol_error"),
        (errors.ServerError, True, 11, 502, "server_error"),
        (errors.RequestRefused, False, 1, 502, "request_refused"),
        (errors.Refused, False, 12, 400, "content_filter"),
        (errors.UnknownTone, False, 13, 404, "model_not_found"),
    ],
)
def test_the_documented_policy_per_class(
    cls: type[errors.G4FError], transient: bool, exit_code: int, status: int, code: str
) -> None:
    error = cls("x", tone="t") if cls is errors.UnknownTone else cls("x")
    assert (is_transient(error), exit_code_for(error)) == (transient, exit_code)
    assert (error.http_status, error.openai_code) == (status, code)


def test_only_errors_that_never_reached_the_service_are_safe_to_resend() -> None:
    assert {c for c in ALL if c.resend_safe} == {errors.ConnectError, errors.ConnectTimeout}
    assert issubclass(errors.ConnectError, errors.ConnectionClosed)
    assert issubclass(errors.ConnectTimeout, errors.ResponseTimeout)


def test_the_protocol_package_does_no_io() -> None:
    code = (
        "import sys, g4f.protocol, g4f.protocol.connection, g4f.services; "
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
