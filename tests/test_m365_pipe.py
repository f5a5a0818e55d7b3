"""A token read from a pipe (``--token-file <(…)``, ``… | g4f token``) within a deadline: a
writer that stays open without writing gives a clear error instead of a hang."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest

from g4f import errors
from g4f.cli.options import parse
from g4f.cli.token import token_command
from g4f.hub import make_test_token
from g4f.services.m365 import TokenSource, pipe


@pytest.fixture
def silent_pipe(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A pipe's read end whose writer stays open and writes nothing."""
    monkeypatch.setattr(pipe, "PIPE_SECONDS", 0.3)
    read, write = os.pipe()
    try:
        yield read
    finally:
        os.close(write)
        os.close(read)


def test_a_silent_token_pipe_fails_with_a_clear_error(silent_pipe: int) -> None:
    with pytest.raises(errors.NotAuthorized, match=r"the pipe gave no token within 0\.3 s"):
        TokenSource(path=f"/dev/fd/{silent_pipe}")


def test_a_token_pipe_that_writes_and_stays_open_gives_its_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipe, "PIPE_SECONDS", 0.3)
    token = make_test_token()
    read, write = os.pipe()
    try:
        os.write(write, token.encode() + b"\n")
        assert TokenSource(path=f"/dev/fd/{read}").current().value == token
    finally:
        os.close(write)
        os.close(read)


def test_g4f_token_on_a_silent_stdin_pipe_says_so(silent_pipe: int) -> None:
    err = io.StringIO()
    stdin = os.fdopen(os.dup(silent_pipe), "r")
    with stdin:
        code = token_command(
            parse(["token"]), stdout=io.StringIO(), stderr=err,
            stdin=stdin, environ={},
        )  # fmt: skip
    assert code == 2
    assert "standard input gave no token within 0.3 s" in err.getvalue()
