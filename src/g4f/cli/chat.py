"""``g4f chat``: one turn to stdout, or an interactive session keeping one conversation."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from .. import errors
from ..engine.backend import Backend
from ..engine.config import Timeouts
from ..engine.retry import RetryPolicy
from ..files import private_dir, write_private
from ..hub import Hub, running_hub
from ..hub.server import DEMO_PACE
from ..protocol import Event, Final, Style, TextDelta
from ..protocol.conversation import Conversation
from ..services import Image
from ..services.registry import DEFAULT_SERVICE, REGISTRY, backend_for, entry
from .multiline import read_question
from .output import CONNECTING, WAITING, JsonOutput, Output, TerminalOutput

__all__ = ["HELP", "BackendFactory", "ChatOptions", "ChatSession", "interactive", "one_shot"]

HELP = """\
Commands:
  /new           start a new conversation
  /style NAME    creative, balanced or precise (from the next question on; Bing)
  /model TONE    the model, by tone, from the next question on (Microsoft 365 Copilot;
                 Gpt_Quick, m365-gpt-quick and m365/Gpt_Quick are one; a refused one is dropped)
  /image FILE    attach a PNG, JPEG, GIF or WebP image to the next question (Microsoft 365
                 Copilot; --image does so for the first)
  /file URL      a SharePoint/OneDrive document the next questions may read (/file off: none;
                 the Chat API: --service graph or workiq)
  /web on|off    web grounding from the next question on (services that can switch it)
  /save FILE     save the conversation to FILE (JSON: its questions and answers, and for
                 Bing its signatures, for Microsoft 365 Copilot its ids and tone — never
                 the token)
  /load FILE     continue a conversation saved with /save (if the server has forgotten
                 it, the saved questions and answers are shown)
  /help          this help
  /quit          leave (so do Ctrl-D, and Ctrl-C at the prompt)
A line ending with a backslash (\\) continues on the next: the question is every line, joined.
Ctrl-C while an answer streams stops that answer and keeps the session."""


def document_url(url: str) -> str:
    """``url`` if it can name a SharePoint or OneDrive document, else ``ValueError``."""
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise ValueError(f"a document must be a SharePoint or OneDrive https:// URL, not {url!r}")
    return url


BackendFactory: TypeAlias = Callable[..., Backend]
"""Builds a backend as :func:`g4f.services.registry.backend_for` does: the service's name, then
the options (``url``, ``proxy``, ``timeouts``, ``retry``, ``record`` and the service's own)."""


@dataclass
class ChatOptions:
    """What the command line asked for.

    Attributes:
        service_options: the chosen service's own options, loaded (``cookies``, ``token_file``).
        timeout: ``--timeout``, the read timeout (it wins over ``timeouts.read``).
        timeouts: the other waits (``--connect-timeout``, ``--create-timeout``, …).
        tone: ``--model``, for a service whose models are tones.
        files: ``--file``, document URLs every turn may read (a service with ``files``).
        backend_for: what builds the backend (:func:`g4f.services.registry.backend_for`).
    """

    url: str | None = None
    local: bool = False
    style: Style = Style.PRECISE
    search: bool = True
    proxy: str | None = None
    timeout: float = Timeouts().read
    timeouts: Timeouts = field(default_factory=Timeouts)
    json: bool = False
    record: Path | None = None
    retries: int = RetryPolicy().attempts
    service: str = DEFAULT_SERVICE
    service_options: Mapping[str, Any] = field(default_factory=dict)
    tone: str | None = None
    images: tuple[Image, ...] = ()
    files: tuple[str, ...] = ()
    backend_for: BackendFactory = backend_for


def make_output(options: ChatOptions, stdout: TextIO, stderr: TextIO) -> Output:
    """JSON lines for ``--json``, the terminal view when stdout is a terminal (without colors
    when ``NO_COLOR`` is set), else plain text."""
    if options.json:
        return JsonOutput(stdout, stderr)
    if stdout.isatty():
        return TerminalOutput(stdout, stderr, color=not os.environ.get("NO_COLOR"))
    return Output(stdout, stderr)


@contextlib.asynccontextmanager
async def open_client(
    options: ChatOptions, output: Output | None = None, backend: Backend | None = None
) -> AsyncIterator[Backend]:
    """The backend for ``options`` (or ``backend``, when given), entered and closed after.

    With ``--local``, an in-process hub first, and the service's options for it (its
    ``local_options``: for Microsoft 365 Copilot a test token the hub accepts, so that the
    user's own is never sent to it). Retries of conversation create are shown on ``output``."""
    async with contextlib.AsyncExitStack() as stack:
        if backend is None:
            given: dict[str, Any] = {"url": options.url, **options.service_options}
            if options.local:
                hub_url = await stack.enter_async_context(running_hub(Hub(pace=DEMO_PACE)))
                given.update(entry(options.service).local_options(hub_url))
            on_retry = output.retrying if output is not None else None
            backend = options.backend_for(
                options.service,
                proxy=options.proxy,
                timeouts=dataclasses.replace(options.timeouts, read=options.timeout),
                retry=RetryPolicy(attempts=options.retries, on_retry=on_retry),
                record=options.record,
                **given,
            )
        yield await stack.enter_async_context(backend)


async def run_turn(
    client: Backend,
    prompt: str,
    output: Output,
    *,
    style: Style,
    search: bool,
    conversation: Conversation | None = None,
    images: tuple[Image, ...] = (),
    tone: str | None = None,
    files: tuple[str, ...] = (),
) -> str:
    """Ask one question and show its events as they come; the answer's text."""
    stream = client.ask(
        prompt,
        conversation=conversation,
        style=style,
        search=search,
        images=images,
        tone=tone,
        files=files,
    )
    try:
        # A conversation made already (the session's): what is left is the answer's wait.
        async with output.connecting(WAITING if conversation is not None else CONNECTING):
            first = await anext(stream, None)
        answer = Answer()
        if first is not None:
            output.event(answer.add(first))
            async for event in stream:
                output.event(answer.add(event))
    finally:
        await stream.aclose()
    output.end_turn()
    return answer.text()


class Answer:
    """An answer's text as its events bring it: the final one, else the deltas joined."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._final: str | None = None

    def add(self, event: Event) -> Event:
        """Take ``event``'s text; ``event`` itself."""
        if isinstance(event, TextDelta):
            self._pieces.append(event.text)
        elif isinstance(event, Final):
            self._final = event.text
        return event

    def text(self) -> str:
        """The answer so far."""
        return self._final if self._final is not None else "".join(self._pieces)


async def one_shot(
    options: ChatOptions, prompt: str, output: Output, backend: Backend | None = None
) -> None:
    """``g4f chat PROMPT``: one turn in a new conversation, on ``backend`` if given (else the
    one ``options`` name)."""
    async with open_client(options, output, backend) as client:
        await run_turn(
            client,
            prompt,
            output,
            style=options.style,
            search=options.search,
            images=options.images,
            tone=options.tone,
            files=options.files,
        )


class ChatSession:
    """An interactive session: one conversation at a time on ``backend``, and the
    ``/commands``. What a service cannot do (``/model`` without tones, ``/style`` without
    styles) says which service can."""

    def __init__(self, options: ChatOptions, output: Output, backend: Backend) -> None:
        self.options = options
        self.output = output
        self.backend = backend
        self.style = options.style
        self.tone = options.tone
        self.files = options.files
        self.search = options.search
        self.images = options.images  # attached to the next question
        self.conversation: Conversation | None = None
        self.transcript: list[dict[str, str]] = []
        """The conversation's questions and answers (``/save`` keeps them)."""

    def command(self, line: str) -> bool:
        """Run a ``/command``; ``False`` means quit."""
        name, _, argument = line.partition(" ")
        argument = argument.strip()
        if name in ("/quit", "/exit"):
            return False
        if name == "/help":
            self.output.notice(HELP)
        elif name == "/new":
            self.conversation, self.transcript = None, []
            self.output.notice("New conversation.")
        elif name == "/style":
            self._style(argument)
        elif name == "/model":
            self._model(argument)
        elif name == "/file":
            self._file(argument)
        elif name == "/web":
            self._web(argument)
        elif name == "/image":
            self._image(argument)
        elif name == "/save":
            self._save(argument)
        elif name == "/load":
            self._load(argument)
        else:
            self.output.notice(f"Unknown command {name}; /help lists them.")
        return True

    def _lacks(self, capability: str, command: str) -> bool:
        """Whether the backend cannot do ``capability``; if so, say which service can."""
        if getattr(self.backend.capabilities, capability):
            return False
        able = [e for e in REGISTRY.values() if getattr(e.capabilities, capability)]
        where = " or ".join(f"{e.label or e.name} (--service {e.name})" for e in able)
        self.output.notice(f"{command} is for {where or 'no service'}.")
        return True

    def _style(self, name: str) -> None:
        if self._lacks("styles", "/style"):
            return
        try:
            self.style = Style.parse(name)
        except ValueError as exc:
            self.output.notice(str(exc))
        else:
            if self.conversation is not None:
                self.conversation.style = self.style  # /save keeps the style in use
            self.output.notice(f"Style: {self.style.value}.")

    def _model(self, name: str) -> None:
        """The tone of the next questions, by any of its names (the service's normaliser, as
        ``--model`` and the API take them); it becomes the conversation's (and what ``/save``
        writes) once the service accepted it."""
        if self._lacks("tones", "/model"):
            return
        service = entry(self.options.service)
        tones = service.tones
        if not name:
            self.output.notice(f"Usage: /model TONE (known: {', '.join(tones)})")
            return
        found = service.find_model(name)
        tone = found.tone if found is not None and found.tone else name
        self.tone = tone
        known = "" if tone in tones else f" (not a known tone; known: {', '.join(tones)})"
        self.output.notice(f"Model: {tone}{known}.")

    def _image(self, path: str) -> None:
        if self._lacks("images", "/image"):
            return
        if not path:
            self.output.notice(f"Usage: /image FILE ({len(self.images)} attached to the next)")
            return
        try:
            image = Image.from_file(Path(path).expanduser())
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self.output.notice(f"Could not attach {path}: {why}")
        else:
            self.images = (*self.images, image)
            self.output.notice(f"Attached {path} to the next question.")

    def _file(self, url: str) -> None:
        if self._lacks("files", "/file"):
            return
        if url in ("", "off"):
            self.files = ()
            self.output.notice("No documents." if url else "Usage: /file URL, or /file off")
            return
        try:
            self.files = (*self.files, document_url(url))
        except ValueError as exc:
            self.output.notice(str(exc))
        else:
            self.output.notice(f"Documents for the next questions: {', '.join(self.files)}.")

    def _web(self, switch: str) -> None:
        if self._lacks("search_toggle", "/web"):
            return
        if switch not in ("on", "off"):
            self.output.notice("Usage: /web on, or /web off")
            return
        self.search = switch == "on"
        self.output.notice(f"Web grounding {switch} from the next question on.")

    def _save(self, path: str) -> None:
        if not path:
            self.output.notice("Usage: /save FILE")
        elif self.conversation is None:
            self.output.notice("Nothing to save yet: ask something first.")
        else:
            try:
                saved = {**self.conversation.to_dict(), "transcript": self.transcript}
                write_private(Path(path), json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
            except OSError as exc:
                self.output.notice(f"Could not save {path}: {file_problem(exc)}.")
            else:
                self.output.notice(f"Saved to {path}.")

    def _load(self, path: str) -> None:
        if not path:
            self.output.notice("Usage: /load FILE")
            return
        try:
            saved = json.loads(Path(path).read_text(encoding="utf-8"))
            loaded = Conversation.from_dict(saved), _transcript(saved)
            self.conversation, self.transcript = loaded
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            self.output.notice(f"Could not load {path}: {file_problem(exc)}.")
        else:
            self.style = self.conversation.style
            self.tone = self.conversation.tone or self.tone
            tones = self.backend.capabilities.tones
            kind = self.tone if tones and self.tone else self.style.value
            self.output.notice(
                f"Loaded ({kind}); the next question is turn {self.conversation.answered + 1}."
            )

    async def ask(self, prompt: str) -> None:
        """Ask ``prompt`` in the session's conversation (started first if there is none)."""
        if self.conversation is None:
            async with self.output.connecting():
                self.conversation = await self.backend.start_conversation(self.style)
        images, self.images = self.images, ()  # the next question's, sent or not
        before = self.conversation.tone
        try:
            answer = await run_turn(
                self.backend,
                prompt,
                self.output,
                style=self.style,
                search=self.search,
                conversation=self.conversation,
                images=images,
                tone=self.tone,
                files=self.files,
            )
        except errors.UnknownTone:
            # A refused tone does not stay selected, nor in the conversation /save writes.
            self.conversation.tone = self.tone = before
            raise
        self.transcript.append({"question": prompt, "answer": answer})

    def _cannot_continue(self) -> None:
        """The conversation is gone on the server: show what it said (a loaded one's
        transcript is all that is left of it), then start afresh."""
        if self.transcript:
            lines = [f"> {t['question']}\n{t['answer']}" for t in self.transcript]
            self.output.notice(
                "The conversation cannot continue; what it said:\n\n" + "\n\n".join(lines)
            )
        self.conversation, self.transcript = None, []

    async def handle(self, line: str) -> bool:
        """One line typed at the prompt: a command, or a question whose failure is shown and
        keeps the session (an expired conversation is forgotten). ``False`` means quit."""
        from . import exit_code_for

        line = line.strip()
        if not line:
            return True
        if line.startswith("/"):
            return self.command(line)
        try:
            await self.ask(line)
        except errors.G4FError as exc:
            self.output.error(exc, exit_code_for(exc))
            if isinstance(exc, errors.UnknownTone):
                self.output.notice(f"Model: back to {self.tone or 'the default'}.")
            if isinstance(exc, errors.ConversationExpired | errors.ConversationInvalid):
                self._cannot_continue()
                self.output.notice("The next question starts a new conversation.")
        return True


def _transcript(saved: Any) -> list[dict[str, str]]:
    """The questions and answers of a file ``/save`` wrote (none in one from before they were
    kept); ``ValueError`` if they are not in its shape."""
    kept = saved.get("transcript", []) if isinstance(saved, dict) else []
    if not isinstance(kept, list) or not all(
        isinstance(t, dict)
        and isinstance(t.get("question"), str)
        and isinstance(t.get("answer"), str)
        for t in kept
    ):
        raise ValueError("not a saved conversation: its transcript is malformed")
    return [{"question": t["question"], "answer": t["answer"]} for t in kept]


def file_problem(exc: BaseException) -> str:
    """What went wrong with a file the session reads or writes, in words (the same for
    ``/save`` and ``/load``; never Python's ``None`` or a codec's jargon)."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text (not a file /save wrote)"
    if isinstance(exc, json.JSONDecodeError):
        return "not JSON (not a file /save wrote)"
    return str(exc).removesuffix(".") or "not a saved conversation"


ENV_HISTORY = "G4F_HISTORY"
"""Environment variable naming the interactive history file (default: the state directory)."""
HISTORY_LINES = 1000


def history_path() -> Path:
    """Where the interactive session keeps its history: ``$G4F_HISTORY``, else
    ``$XDG_STATE_HOME/g4f/history`` (``~/.local/state/g4f/history``)."""
    named = os.environ.get(ENV_HISTORY, "").strip()
    if named:
        return Path(named).expanduser()
    state = os.environ.get("XDG_STATE_HOME", "").strip() or "~/.local/state"
    return Path(state).expanduser() / "g4f" / "history"


@contextlib.contextmanager
def _line_editing() -> Iterator[None]:
    """``input()`` with line editing and a history kept across sessions (when readline is
    there); the history file is private to the user and never stops the session."""
    try:
        import readline
    except ImportError:
        yield
        return
    path = history_path()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LINES)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            private_dir(path.parent)
            readline.write_history_file(path)
            path.chmod(0o600)


def interactive(
    options: ChatOptions,
    output: Output,
    stdin: TextIO = sys.stdin,
    backend: Backend | None = None,
) -> int:
    """The interactive session, on ``backend`` if given (else the one ``options`` name);
    returns the exit status."""
    output.notice("g4f chat — /help for commands, Ctrl-D to quit.")
    with _line_editing(), asyncio.Runner() as runner:
        stack = contextlib.AsyncExitStack()
        client = runner.run(stack.enter_async_context(open_client(options, output, backend)))
        session = ChatSession(options, output, client)
        try:
            while True:
                try:
                    line = read_question(input)
                except (EOFError, KeyboardInterrupt):
                    output.notice("")
                    return 0
                try:
                    if not runner.run(session.handle(line)):
                        return 0
                except KeyboardInterrupt:
                    output.interrupted()
        finally:
            runner.run(stack.aclose())
