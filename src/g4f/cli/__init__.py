"""The ``g4f`` command: ``chat`` talks to Bing or a hub, ``hub`` runs the local hub, ``api`` runs
the OpenAI-compatible server.

Exit status: 0 success, 1 an error without a code of its own, 2 bad usage, 130 interrupted, and
per error class its ``exit_code`` (see :mod:`g4f.errors`, and the table in the README).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, errors
from ..api.settings import ApiSettings
from ..client import ENV_COOKIES, ENV_URL, Cookies, Endpoints, RetryPolicy, Timeouts
from ..client.proxy import redact_url
from ..hub import Hub, running_hub
from ..hub.responder import words_responder
from ..hub.scenarios import usage as scenario_usage
from ..hub.server import CREATE_SHAPES, DEFAULT_MAX_TURNS, DEMO_PACE
from ..protocol import Style

__all__ = ["exit_code_for", "main"]

if TYPE_CHECKING:  # generic only in typeshed
    _Commands = argparse._SubParsersAction[argparse.ArgumentParser]

log = logging.getLogger(__name__)

# Defaults come from what the options configure, never repeated here.
_TIMEOUTS, _RETRY, _API = Timeouts(), RetryPolicy(), ApiSettings()

ENV_API_KEY = "G4F_API_KEY"
"""Environment variable with the API key ``g4f api`` requires."""

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def _non_negative_seconds(text: str) -> float:
    return 0.0 if text.strip() in ("0", "0.0") else _seconds(text)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not {text!r}")
    return value


def _cookies(path: Path | None) -> Cookies | None:
    """The cookies in ``path``; a file that cannot be read is a usage error naming it."""
    if path is None:
        return None
    try:
        return Cookies.from_file(path)
    except OSError as exc:
        raise ValueError(f"cannot read the cookies file {path}: {exc.strerror or exc}") from None


def exit_code_for(error: errors.G4FError) -> int:
    """The documented exit status for ``error``: its class's ``exit_code`` (:mod:`g4f.errors`)."""
    return error.exit_code


def _chat_parser(commands: _Commands) -> None:
    chat = commands.add_parser(
        "chat",
        help="ask Bing (or a hub); interactive when no prompt is given on a terminal",
        description=(
            "Ask one question and stream the answer to stdout, or, with no PROMPT on a terminal, "
            "start an interactive session that keeps one conversation (/help lists its commands)."
        ),
    )
    chat.add_argument("prompt", nargs="?", help="the question; '-' reads it from standard input")
    chat.add_argument(
        "--local",
        action="store_true",
        help="start a local hub on a free port and talk to it (the offline demo)",
    )
    chat.add_argument(
        "--url",
        help=f"a server serving both ChatHub paths, e.g. a hub (default: ${ENV_URL}, then Bing)",
    )
    chat.add_argument(
        "--style",
        choices=[s.value for s in Style],
        default=Style.PRECISE.value,
        help="conversation style (default: precise)",
    )
    chat.add_argument("--no-search", action="store_true", help="answer without web search")
    chat.add_argument(
        "--cookies",
        type=Path,
        metavar="FILE",
        help="your Bing cookies: a browser export (JSON) or cookies.txt "
        f"(default: ${ENV_COOKIES}, which holds a Cookie header value: name=value; name2=value2)",
    )
    chat.add_argument("--proxy", metavar="URL", help="http://, https:// or socks5:// proxy")
    chat.add_argument(
        "--timeout",
        type=_seconds,
        default=_TIMEOUTS.read,
        metavar="SECONDS",
        help=f"longest silence allowed while an answer streams (default: {_TIMEOUTS.read:g})",
    )
    chat.add_argument(
        "--retries",
        type=_positive_int,
        default=_RETRY.attempts,
        metavar="N",
        help="attempts at creating a conversation on transient failures "
        f"(default: {_RETRY.attempts})",
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="one JSON event per line (deltas, progress, sources, suggestions, final, errors)",
    )
    chat.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="append every websocket message to FILE, a cassette the hub can replay",
    )


def _hub_parser(commands: _Commands) -> None:
    hub = commands.add_parser(
        "hub",
        help="run the local ChatHub hub",
        description=(
            "Serve GET /turing/conversation/create and the /sydney/ChatHub websocket as Bing did, "
            f"for offline use and tests. Point clients at it with {ENV_URL}=http://HOST:PORT."
        ),
    )
    hub.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    hub.add_argument(
        "--port", type=_port, default=8765, help="port to bind; 0 picks a free one (default: 8765)"
    )
    hub.add_argument(
        "--scenario",
        default="stream",
        help=f"what every conversation plays (default: stream): {scenario_usage()}",
    )
    hub.add_argument(
        "--cassette",
        type=Path,
        metavar="FILE",
        help="replay the server side of a recorded cassette (turn n plays recorded turn n)",
    )
    hub.add_argument(
        "--create-shape",
        choices=CREATE_SHAPES,
        default=CREATE_SHAPES[0],
        help="where the conversation signature goes: JSON body (2023), X-Sydney-* headers "
        "(Oct 2023+), or both (default)",
    )
    hub.add_argument(
        "--pace",
        type=_non_negative_seconds,
        default=DEMO_PACE,
        metavar="SECONDS",
        help=f"pause between two messages of an answer (default: {DEMO_PACE:g})",
    )
    hub.add_argument(
        "--latency",
        type=_non_negative_seconds,
        default=0.0,
        metavar="SECONDS",
        help="network model: delay every message each way by SECONDS (RTT = 2x; default: 0)",
    )
    hub.add_argument(
        "--answer-words",
        type=_positive_int,
        metavar="N",
        help="answer every prompt with N words, one per update (for load tests)",
    )
    hub.add_argument(
        "--max-turns",
        type=_positive_int,
        default=DEFAULT_MAX_TURNS,
        metavar="N",
        help=f"turns a conversation may have (default: {DEFAULT_MAX_TURNS})",
    )


def _api_parser(commands: _Commands) -> None:
    api = commands.add_parser(
        "api",
        help="run the OpenAI-compatible HTTP server (needs the 'api' extra)",
        description=(
            "Serve POST /v1/chat/completions, GET /v1/models and GET /health, so that any "
            "OpenAI client can use the Bing provider. Upstream is Bing, or the server named by "
            f"--url / ${ENV_URL}. Callers cannot choose upstream URLs or proxies."
        ),
    )
    api.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    api.add_argument("--port", type=_port, default=1337, help="port to bind (default: 1337)")
    api.add_argument(
        "--api-key",
        default=os.environ.get(ENV_API_KEY) or None,
        metavar="KEY",
        help=f"require 'Authorization: Bearer KEY' (default: ${ENV_API_KEY}; none: open)",
    )
    api.add_argument("--url", help=f"the upstream ChatHub server (default: ${ENV_URL}, then Bing)")
    api.add_argument(
        "--cookies",
        type=Path,
        metavar="FILE",
        help="your Bing cookies for upstream requests, a browser export (JSON) or cookies.txt "
        f"(default: ${ENV_COOKIES}, which holds a Cookie header value)",
    )
    api.add_argument("--proxy", metavar="URL", help="proxy for upstream connections")
    api.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser calls from ORIGIN (repeatable; default: no CORS)",
    )
    api.add_argument(
        "--max-body-bytes",
        type=_positive_int,
        default=_API.max_body_bytes,
        metavar="N",
        help=f"largest request body accepted (default: {_API.max_body_bytes})",
    )
    api.add_argument(
        "--max-messages",
        type=_positive_int,
        default=_API.max_messages,
        metavar="N",
        help=f"most messages in one request (default: {_API.max_messages})",
    )
    api.add_argument(
        "--conversation-ttl",
        type=_seconds,
        default=_API.conversation_ttl,
        metavar="SECONDS",
        help="how long a kept conversation lives after its last use "
        f"(default: {_API.conversation_ttl:g})",
    )
    api.add_argument(
        "--max-conversations",
        type=_positive_int,
        default=_API.max_conversations,
        metavar="N",
        help="conversations kept in memory; the least recently used go first "
        f"(default: {_API.max_conversations})",
    )
    api.add_argument(
        "--timeout",
        type=_seconds,
        default=_API.timeouts.read,
        metavar="SECONDS",
        help=f"longest upstream silence while an answer streams (default: {_API.timeouts.read:g})",
    )
    api.add_argument(
        "--idle-websockets",
        type=_positive_int,
        default=_API.idle_websockets,
        metavar="N",
        help="upstream websockets kept open between turns of kept conversations "
        f"(default: {_API.idle_websockets})",
    )
    api.add_argument(
        "--docs",
        action="store_true",
        help="serve /docs and /openapi.json (behind --api-key; the page loads scripts from a CDN)",
    )
    api.add_argument(
        "--max-connections",
        type=_positive_int,
        default=_API.max_connections,
        metavar="N",
        help=f"client connections served at once; more get 503 (default: {_API.max_connections})",
    )
    api.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug"),
        help="uvicorn's log level (default: info)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="g4f", description="A client for Bing Chat's ChatHub protocol, with a local hub."
    )
    parser.add_argument("--version", action="version", version=f"g4f-bing {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _chat_parser(commands)
    _hub_parser(commands)
    _api_parser(commands)
    for sub in commands.choices.values():  # -v after the sub-command too
        sub.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log to stderr"
        )
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown option is reported with its sub-command's usage."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _hub(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        "latency": args.latency,
        "create_shape": args.create_shape,
        "pace": args.pace,
        "max_turns": args.max_turns,
    }
    if args.answer_words:
        options["responder"] = words_responder(args.answer_words)
    if args.cassette:
        hub = Hub.from_cassette(args.cassette, **options)
    else:
        hub = Hub(scenario=args.scenario, **options)
    asyncio.run(_serve_hub(hub, args.host, args.port))
    return 0


async def _serve_hub(hub: Hub, host: str, port: int) -> None:
    async with running_hub(hub, host=host, port=port) as url:
        sys.stderr.write(f"g4f hub listening on {url} (Ctrl-C stops it)\n")
        sys.stderr.write(f"point clients at it with: export {ENV_URL}={url}\n")
        sys.stderr.flush()
        await asyncio.Event().wait()


def _chat(args: argparse.Namespace) -> int:
    from .chat import ChatOptions, interactive, make_output, one_shot

    options = ChatOptions(
        url=args.url,
        local=args.local,
        style=Style.parse(args.style),
        search=not args.no_search,
        cookies=_cookies(args.cookies),
        proxy=args.proxy,
        timeout=args.timeout,
        json=args.json,
        record=args.record,
        retries=args.retries,
    )
    output = make_output(options, sys.stdout, sys.stderr)
    prompt = args.prompt
    if prompt is None and sys.stdin.isatty():
        return interactive(options, output)
    if prompt is None or prompt == "-":
        prompt = sys.stdin.read()  # read before the event loop starts: no blocking inside it
    if not prompt.strip():
        raise ValueError("the prompt is empty")
    try:
        asyncio.run(one_shot(options, prompt.strip(), output))
    except KeyboardInterrupt:
        output.end_turn()  # the answer so far ends with its line
        raise
    except errors.G4FError as exc:
        code = exit_code_for(exc)
        output.error(exc, code)
        if _offline_default(options, exc):
            output.notice(OFFLINE_HINT)
        return code
    return 0


OFFLINE_HINT = (
    "g4f: Bing's service could not be reached. Offline? `g4f chat --local` answers from a hub "
    f"started in-process; --url or ${ENV_URL} points at another server (e.g. `g4f hub`)."
)


def _offline_default(options: Any, error: errors.G4FError) -> bool:
    """Whether ``error`` is the default upstream (Bing's own hosts) being unreachable."""
    default = not options.url and not options.local and not os.environ.get(ENV_URL, "").strip()
    return default and isinstance(error, errors.ConnectError | errors.ConnectTimeout)


def _api(args: argparse.Namespace) -> int:
    try:
        from ..api.server import listen, run
    except ImportError as exc:
        raise ValueError(str(exc)) from None
    endpoints = Endpoints.resolve(args.url)  # a bad --url is a usage error, before anything runs
    loopback = args.host in ("127.0.0.1", "localhost", "::1")
    if not loopback and not args.api_key:
        sys.stderr.write(
            f"g4f: warning: serving on {args.host} without --api-key: anyone who can reach it "
            "can use it\n"
        )
    settings = ApiSettings(
        url=args.url,
        cookies=_cookies(args.cookies) or Cookies.from_env(),
        proxy=args.proxy,
        api_key=args.api_key,
        cors_origins=tuple(args.cors_origin),
        max_body_bytes=args.max_body_bytes,
        max_messages=args.max_messages,
        conversation_ttl=args.conversation_ttl,
        max_conversations=args.max_conversations,
        timeouts=Timeouts(read=args.timeout),
        idle_websockets=args.idle_websockets,
        docs=args.docs,
        max_connections=args.max_connections,
    )
    sock = listen(args.host, args.port)  # a busy port is reported before anything else runs
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(
        f"g4f api listening on http://{shown}:{port}/v1 "
        f"(upstream: {redact_url(endpoints.chathub_url)})\n"
    )
    sys.stderr.flush()
    run(settings, host=args.host, port=port, log_level=args.log_level, sock=sock)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``g4f`` command; returns the exit status."""
    args = _parse(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    try:
        if args.command == "chat":
            return _chat(args)
        if args.command == "api":
            return _api(args)
        return _hub(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`g4f chat … | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"g4f: error: {exc}\n")
        return EXIT_USAGE if isinstance(exc, ValueError) else 1
