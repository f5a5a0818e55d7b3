"""How ``g4f chat`` shows a turn: plain text, JSON lines, or a rich terminal view."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import re
import shutil
import unicodedata
from collections.abc import AsyncIterator
from typing import Any, TextIO

from .. import errors
from ..protocol import (
    Event,
    Final,
    Retraction,
    SearchProgress,
    Sources,
    SuggestedReplies,
    TextDelta,
    Throttling,
    TurnLimit,
)
from .markdown import DIM, RESET, render_markdown

__all__ = ["JsonOutput", "Output", "TerminalOutput", "event_to_json"]

YELLOW, RED = "\x1b[33m", "\x1b[31m"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def event_to_json(event: Event) -> dict[str, Any]:
    """One event as a JSON-able dict: ``{"type": "text_delta", "text": …}`` and so on."""
    return {"type": _snake(type(event).__name__), **dataclasses.asdict(event)}


def error_line(error: errors.G4FError) -> str:
    """One line: what happened and what to do."""
    return f"g4f: error: {type(error).__name__}: {error}"


class Output:
    """Plain text: only the answer on stdout; errors as one line on stderr."""

    def __init__(self, stdout: TextIO, stderr: TextIO) -> None:
        self.stdout, self.stderr = stdout, stderr
        self._wrote = False

    @contextlib.asynccontextmanager
    async def connecting(self) -> AsyncIterator[None]:
        """Shown while waiting for the first event (a spinner on a terminal)."""
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
    rendered markdown once complete, followed by its sources and suggestions."""

    def __init__(self, stdout: TextIO, stderr: TextIO) -> None:
        super().__init__(stdout, stderr)
        self._screen = ""  # what this turn wrote to the terminal, to re-draw it
        self._progress: list[str] = []
        self._answer = ""
        self._extras: list[str] = []
        self._retraction: Retraction | None = None

    @contextlib.asynccontextmanager
    async def connecting(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._spin())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.stderr.write("\r\x1b[K")
            self.stderr.flush()

    async def _spin(self) -> None:
        for frame in itertools.cycle("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"):
            self.stderr.write(f"\r{DIM}{frame} connecting…{RESET}")
            self.stderr.flush()
            await asyncio.sleep(0.08)

    def event(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self._answer += event.text
            self._show(event.text)
        elif isinstance(event, SearchProgress):
            self._progress.append(event.text)
            self._show(
                f"{'' if self._screen.endswith(chr(10)) or not self._screen else chr(10)}"
                f"{DIM}{event.text}{RESET}\n"
            )
        elif isinstance(event, Retraction):
            self._retraction = event
        elif isinstance(event, Sources):
            lines = [f"  [{i}] {s.title} — {s.url}" for i, s in enumerate(event.items, 1)]
            self._extras.append(f"{DIM}Sources:\n" + "\n".join(lines) + RESET)
        elif isinstance(event, SuggestedReplies):
            self._extras.append(f"{DIM}Suggestions: {' · '.join(event.items)}{RESET}")
        elif isinstance(event, TurnLimit):
            self._extras.append(
                f"{YELLOW}This conversation reached its turn limit; "
                f"type /new to start another.{RESET}"
            )
        elif isinstance(event, Throttling):
            self._extras.append(f"{DIM}(turn {event.used} of {event.limit}){RESET}")
        elif isinstance(event, Final):
            self._redraw()

    def _show(self, text: str) -> None:
        self._screen += text
        self.stdout.write(text)
        self.stdout.flush()

    def _redraw(self) -> None:
        parts = [f"{DIM}{line}{RESET}" for line in self._progress]
        if self._retraction is not None:
            parts.append(
                f"{YELLOW}[the service retracted its answer]{RESET} {self._retraction.apology}"
            )
        else:
            parts.append(render_markdown(self._answer))
        columns, lines = shutil.get_terminal_size()
        rows = rows_of(self._screen, columns)
        if self._screen and rows < lines:
            up = f"\x1b[{rows - 1}F" if rows > 1 else "\r"
            self.stdout.write(up + "\x1b[J")
            self.stdout.write("\n".join(parts))
        elif self._retraction is not None:
            self.stdout.write("\n" + parts[-1])
        self.stdout.write("\n")
        for extra in self._extras:
            self.stdout.write(extra + "\n")
        self.stdout.flush()
        self._reset()

    def _reset(self) -> None:
        self._screen, self._answer, self._progress = "", "", []
        self._extras, self._retraction = [], None
        self._wrote = False

    def end_turn(self) -> None:
        if self._screen:
            self.stdout.write("\n")
            self.stdout.flush()
        self._reset()

    def error(self, error: errors.G4FError, exit_code: int) -> None:
        self.end_turn()
        self.stderr.write(f"{RED}{error_line(error)}{RESET}\n")
        self.stderr.flush()
