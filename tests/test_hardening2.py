"""Hardening II (issue 21): a hostile upstream, a failing disk and a new user's inputs.

Each test fails on the code before the issue's fix; none depends on timing.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from g4f import errors
from g4f.client import NO_RETRY, M365Client, Timeouts
from g4f.hub import Hub, make_test_token, running_hub
from g4f.protocol import TextDelta
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
