"""How ``g4f chat`` shows a turn: plain text, JSON lines, or a rich terminal view."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import shutil
import time
import unicodedata
from collections.abc import AsyncIterator
from typing import Any, TextIO, assert_never

from .. import errors
from ..protocol import (
    Event,
    Final,
    ReasoningProgress,
    Retraction,
    SearchProgress,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
    TurnLimit,
    event_to_json,
)
from .markdown import DIM, RESET, render_markdown

__all__ = ["JsonOutput", "Output", "TerminalOutput"]

YELLOW, RED = "\x1b[33m", "\x1b[31m"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


CONNECTING = "connecting"
"""The phase shown while a conversation is being created."""
WAITING = "waiting for the answer"
"""The phase shown from the question sent until the answer's first event."""


def error_line(error: errors.G4FError) -> str:
    """One line: what happened and what to do."""
    return f"g4f: error: {type(error).__name__}: {error}"


class Output:
    """Plain text: only the answer on stdout; errors as one line on stderr."""

    def __init__(self, stdout: TextIO, stderr: TextIO) -> None:
        self.stdout, self.stderr = stdout, stderr
        self._wrote = False

    @contextlib.asynccontextmanager
    async def connecting(self, phase: str = CONNECTING) -> AsyncIterator[None]:
        """Shown while waiting: ``phase`` (:data:`CONNECTING`, :data:`WAITING`) and the time
        elapsed, on a spinner on a terminal."""
        yield

    def event(self, event: Event) -> None:
        """Show one event."""
        if isinstance(event, TextDelta):
            self._write(event.text)
        elif isinstance(event, Retraction):
            self._write(f"\n\n{event.apology}")

    def end_turn(self) -> None:
        """The turn ended (successfully or not)."""
        if self._wrote:
            self._write("\n")
        self._wrote = False

    def retrying(self, error: errors.G4FError, wait: float, attempt: int, attempts: int) -> None:
        """Creating the conversation failed with ``error``; attempt ``attempt`` of
        ``attempts`` follows in ``wait`` seconds (shown on a terminal only)."""

    def interrupted(self) -> None:
        """The user stopped the answer with Ctrl-C."""
        self.end_turn()
        self.stderr.write("[stopped]\n")
        self.stderr.flush()

    def error(self, error: errors.G4FError, exit_code: int) -> None:
        """Report a failed turn."""
        self.end_turn()
        self.stderr.write(error_line(error) + "\n")
        self.stderr.flush()

    def notice(self, text: str) -> None:
        """A message from the program itself (interactive commands); never on stdout in pipes."""
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def _write(self, text: str) -> None:
        self._wrote = True
        self.stdout.write(text)
        self.stdout.flush()


class JsonOutput(Output):
    """One JSON object per line on stdout for every event, and for an error."""

    def event(self, event: Event) -> None:
        self._line(event_to_json(event))

    def end_turn(self) -> None:
        pass

    def interrupted(self) -> None:
        self._line({"type": "interrupted"})

    def error(self, error: errors.G4FError, exit_code: int) -> None:
        self._line(
            {
                "type": "error",
                "error": type(error).__name__,
                "message": str(error),
                "partial_text": error.partial_text,
                "retry_after": error.retry_after,
                "exit_code": exit_code,
            }
        )
        self.stderr.write(error_line(error) + "\n")
        self.stderr.flush()

    def _line(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        self.stdout.flush()


def _width(text: str) -> int:
    plain = _ANSI.sub("", text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


def rows_of(text: str, columns: int) -> int:
    """How many terminal rows ``text`` takes when written from column 0."""
    return sum(max(1, -(-_width(line) // columns)) for line in text.split("\n"))


class TerminalOutput(Output):
    """A terminal: spinner while connecting, dimmed progress, and the answer re-drawn as
    rendered markdown once complete, followed by its sources and suggestions.

    With ``color=False`` (``NO_COLOR`` set, see https://no-color.org) nothing is styled and the
    answer is not re-drawn: it stays as it streamed.
    """

    def __init__(self, stdout: TextIO, stderr: TextIO, *, color: bool = True) -> None:
        super().__init__(stdout, stderr)
        self.color = color
        self._dim, self._reset_style, self._yellow, self._red = (
            (DIM, RESET, YELLOW, RED) if color else ("", "", "", "")
        )
        self._screen = ""  # what this turn wrote to the terminal, to re-draw it
        # The turn as it streamed, in order: ("text", answer text) and ("progress", line).
        self._segments: list[tuple[str, str]] = []
        self._extras: list[str] = []
        self._retraction: Retraction | None = None
        self._counter = ""
        self.clock = time.monotonic
        """What the spinner measures the time elapsed with (a test gives its own clock)."""

    @contextlib.asynccontextmanager
    async def connecting(self, phase: str = CONNECTING) -> AsyncIterator[None]:
        task = asyncio.create_task(self._spin(phase))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.stderr.write("\r\x1b[K")
            self.stderr.flush()

    async def _spin(self, phase: str) -> None:
        started = self.clock()
        for frame in itertools.cycle("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"):
            elapsed = self.clock() - started
            shown = f" {elapsed:.0f} s" if elapsed >= 1 else ""
            self.stderr.write(f"\r\x1b[K{self._dim}{frame} {phase}…{shown}{self._reset_style}")
            self.stderr.flush()
            await asyncio.sleep(0.08)

    def retrying(self, error: errors.G4FError, wait: float, attempt: int, attempts: int) -> None:
        self.stderr.write(
            f"\r\x1b[K{self._dim}{type(error).__name__}: retrying in {wait:.0f} s "
            f"({attempt}/{attempts}){self._reset_style}\n"
        )
        self.stderr.flush()

    def event(self, event: Event) -> None:
        dim, reset = self._dim, self._reset_style
        match event:  # every event, so that mypy tells when a new one is not shown
            case TextDelta(text=text):
                if self._segments and self._segments[-1][0] == "text":
                    self._segments[-1] = ("text", self._segments[-1][1] + text)
                else:
                    self._segments.append(("text", text))
                self._show(text)
            case SearchProgress(text=text) | ReasoningProgress(text=text):
                self._segments.append(("progress", text))
                self._show(
                    f"{'' if self._screen.endswith(chr(10)) or not self._screen else chr(10)}"
                    f"{dim}{text}{reset}\n"
                )
            case Retraction():
                self._retraction = event
            case Sources(items=sources):
                lines = [f"  [{i}] {s.title} — {s.url}" for i, s in enumerate(sources, 1)]
                self._extras.append(f"{dim}Sources:\n" + "\n".join(lines) + reset)
            case SuggestedReplies(items=replies):
                self._extras.append(f"{dim}Suggestions: {' · '.join(replies)}{reset}")
            case TurnLimit():
                self._extras.append(
                    f"{self._yellow}This conversation reached its turn limit; "
                    f"type /new to start another.{reset}"
                )
            case Throttling(used=used, limit=limit):  # sent more than once a turn: shown once
                self._counter = f"{dim}(turn {used} of {limit}){reset}"
            case Final():
                self._redraw()
            case _:
                assert_never(event)

    def _show(self, text: str) -> None:
        self._screen += text
        self.stdout.write(text)
        self.stdout.flush()

    def _redraw(self) -> None:
        """Draw the turn again, in the order it streamed, with its markdown rendered."""
        if self._retraction is not None:
            notice = (
                f"{self._yellow}[the service retracted its answer]{self._reset_style} "
                f"{self._retraction.apology}"
            )
        columns, lines = shutil.get_terminal_size()
        rows = rows_of(self._screen, columns)
        if self.color and self._screen and rows < lines:
            up = f"\x1b[{rows - 1}F" if rows > 1 else "\r"
            self.stdout.write(up + "\x1b[J")
            self.stdout.write(self._rendered() if self._retraction is None else notice)
        elif self._retraction is not None:
            self.stdout.write("\n" + notice)
        self.stdout.write("\n")
        for extra in [*self._extras, *([self._counter] if self._counter else [])]:
            self.stdout.write(extra + "\n")
        self.stdout.flush()
        self._reset()

    def _rendered(self) -> str:
        out = ""
        for kind, text in self._segments:
            if kind == "text":
                out += render_markdown(text.lstrip("\n") if out.endswith("\n") else text)
            else:
                separator = "" if not out or out.endswith("\n") else "\n"
                out += f"{separator}{DIM}{text}{RESET}\n"
        return out.rstrip("\n")

    def _reset(self) -> None:
        self._screen, self._segments = "", []
        self._extras, self._retraction = [], None
        self._counter = ""  # the conversation's turn counter, the last one sent
        self._wrote = False

    def end_turn(self) -> None:
        if self._screen:
            self.stdout.write("\n")
            self.stdout.flush()
        self._reset()

    def error(self, error: errors.G4FError, exit_code: int) -> None:
        self.end_turn()
        self.stderr.write(f"{self._red}{error_line(error)}{self._reset_style}\n")
        self.stderr.flush()
