"""The ``g4f`` command's options: its parser, each sub-command's options and their checks.

Defaults come from what the options configure (``Timeouts``, ``RetryPolicy``, ``ApiSettings``,
the hub), never repeated here.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..api.settings import ApiSettings
from ..api.store import ENV_STORE_KEY, default_store_url
from ..engine.config import Timeouts
from ..engine.retry import RetryPolicy
from ..hub.bing.scenarios import usage as scenario_usage
from ..hub.chatapi import CHATAPI_SCENARIOS
from ..hub.m365 import DEFAULT_MAX_MESSAGES, M365_SCENARIOS
from ..hub.server import CREATE_SHAPES, DEFAULT_MAX_TURNS, DEMO_PACE
from ..protocol import Style
from ..services.bing import ENV_URL
from ..services.m365.client import ENV_M365_URL
from .login import add_login_parsers
from .services import add_capability_flags, add_service_flags, url_help
from .token import add_token_parser

__all__ = ["ENV_API_KEY", "add_timeout_options", "parse", "timeouts_of"]

if TYPE_CHECKING:  # generic only in typeshed
    _Commands = argparse._SubParsersAction[argparse.ArgumentParser]

ENV_API_KEY = "G4F_API_KEY"
"""Environment variable with the API key ``g4f api`` requires."""

_TIMEOUTS, _RETRY, _API = Timeouts(), RetryPolicy(), ApiSettings()


def _checked(
    parse: Callable[[str], float], accept: Callable[[float], bool], what: str
) -> Callable[[str], Any]:
    """An argparse ``type`` that parses a number and refuses it unless ``accept``: the error
    names the option (argparse adds it) and says what it takes."""

    def check(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return value

    return check


_positive_int = _checked(int, lambda v: v >= 1, "a whole number of at least 1")
_port = _checked(int, lambda v: 0 <= v <= 65535, "a port number from 0 to 65535")
_seconds = _checked(float, lambda v: 0 < v < math.inf, "a positive number of seconds")
_non_negative_seconds = _checked(float, lambda v: 0 <= v < math.inf, "0 or more seconds")


def add_timeout_options(parser: argparse.ArgumentParser) -> None:
    """``--connect-timeout``, ``--create-timeout`` and ``--turn-timeout`` (``Timeouts``'
    other waits; ``--timeout``, the read one, is each command's own)."""
    waits = (
        ("connect", "to open a connection and have the websocket upgrade answered"),
        ("create", "for a conversation-create (or upload) request"),
        ("turn", "for a whole answer, however busy the server looks"),
    )
    for name, what in waits:
        parser.add_argument(
            f"--{name}-timeout",
            type=_seconds,
            default=getattr(_TIMEOUTS, name),
            metavar="SECONDS",
            help=f"longest wait {what} (default: %(default)s)",
        )


def timeouts_of(args: argparse.Namespace) -> Timeouts:
    """The :class:`Timeouts` ``args`` ask for (``--timeout`` and ``--*-timeout``)."""
    return Timeouts(
        read=args.timeout,
        connect=args.connect_timeout,
        create=args.create_timeout,
        turn=args.turn_timeout,
    )


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
        "--url", help=url_help("another server speaking the service's protocol, e.g. a hub")
    )
    add_service_flags(chat, "chat")
    add_capability_flags(chat)
    chat.add_argument(
        "--style",
        choices=[s.value for s in Style],
        default=Style.PRECISE.value,
        help="conversation style (default: precise)",
    )
    chat.add_argument("--no-search", action="store_true", help="answer without web search")
    chat.add_argument("--proxy", metavar="URL", help="http://, https:// or socks5:// proxy")
    _chat_turn_options(chat)


def _chat_turn_options(chat: argparse.ArgumentParser) -> None:
    """How ``g4f chat`` waits, retries and shows a turn."""
    chat.add_argument(
        "--timeout",
        type=_seconds,
        default=_TIMEOUTS.read,
        metavar="SECONDS",
        help="longest silence allowed while an answer streams (default: %(default)s)",
    )
    add_timeout_options(chat)
    chat.add_argument(
        "--retries",
        type=_positive_int,
        default=_RETRY.attempts,
        metavar="N",
        help="attempts at creating a conversation on transient failures (default: %(default)s)",
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
            "and /m365Copilot/Chathub and /m365Copilot/UploadFile as Microsoft 365 Copilot does, "
            f"for offline use and tests. Point clients at it with {ENV_URL}=http://HOST:PORT "
            f"(or {ENV_M365_URL}, with a token from --print-token)."
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
        "--m365-scenario",
        default="stream",
        choices=list(M365_SCENARIOS),
        metavar="NAME",
        help="what every Microsoft 365 Copilot turn plays (default: stream): "
        f"{', '.join(M365_SCENARIOS)}",
    )
    hub.add_argument(
        "--max-messages",
        type=_positive_int,
        default=DEFAULT_MAX_MESSAGES,
        metavar="N",
        help="user messages a Microsoft 365 Copilot conversation may have (default: %(default)s)",
    )
    hub.add_argument(
        "--print-token",
        action="store_true",
        help="print an unsigned test token the hub accepts (valid one hour) and exit",
    )
    _hub_play_options(hub)
    _hub_chatapi_options(hub)


def _hub_chatapi_options(hub: argparse.ArgumentParser) -> None:
    """The hub's Chat API side and its sign-in endpoints."""
    hub.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate authority and a loopback certificate the hub makes "
        "(printed at start-up: trust it with REQUESTS_CA_BUNDLE and SSL_CERT_FILE); MSAL's "
        "sign-in (g4f login --authority https://HOST:PORT/TENANT) needs it. The hub's identity "
        "endpoints approve every device code at once: it is a test double, no one signs in",
    )
    hub.add_argument(
        "--token-lifetime",
        type=_positive_int,
        default=None,
        metavar="SECONDS",
        help="lifetime of the access tokens the sign-in endpoints issue (default: 3600; under "
        "300, MSAL renews them silently at every use)",
    )
    hub.add_argument(
        "--chatapi-scenario",
        default="compact",
        choices=list(CHATAPI_SCENARIOS),
        metavar="NAME",
        help=f"what every Chat API turn plays (default: compact): {', '.join(CHATAPI_SCENARIOS)}",
    )


def _hub_play_options(hub: argparse.ArgumentParser) -> None:
    """What the hub plays and how fast."""
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
        help="pause between two messages of an answer (default: %(default)s)",
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
        help="turns a conversation may have (default: %(default)s)",
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
    api.add_argument("--url", help=url_help("the upstream server"))
    add_service_flags(api, "api")
    api.add_argument("--proxy", metavar="URL", help="proxy for upstream connections")
    api.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser calls from ORIGIN (repeatable; default: no CORS)",
    )
    _api_limit_options(api)
    _api_store_options(api)
    _api_upstream_options(api)
    api.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug"),
        help="uvicorn's log level (default: info)",
    )


def _api_limit_options(api: argparse.ArgumentParser) -> None:
    """What one request, and the server at once, may ask."""
    api.add_argument(
        "--max-body-bytes",
        type=_positive_int,
        default=_API.http.max_body_bytes,
        metavar="N",
        help="largest request body accepted (default: %(default)s)",
    )
    api.add_argument(
        "--max-messages",
        type=_positive_int,
        default=_API.http.max_messages,
        metavar="N",
        help="most messages in one request (default: %(default)s)",
    )
    api.add_argument(
        "--max-connections",
        type=_positive_int,
        default=_API.http.max_connections,
        metavar="N",
        help="client connections served at once; more get 503 (default: %(default)s)",
    )
    api.add_argument(
        "--docs",
        action="store_true",
        help="serve /docs and /openapi.json (Swagger UI from the package; the schema behind "
        "--api-key)",
    )
    api.add_argument("--no-ui", action="store_true", help="do not serve the chat page at /")
    api.add_argument(
        "--local",
        action="store_true",
        help="serve in front of a local hub started in-process (the offline demo of the page)",
    )


def _api_store_options(api: argparse.ArgumentParser) -> None:
    """Where and how long ``g4f api`` keeps conversations, and its worker processes."""
    api.add_argument(
        "--conversation-ttl",
        type=_seconds,
        default=_API.store.ttl,
        metavar="SECONDS",
        help="how long a kept conversation lives after its last use (default: %(default)s)",
    )
    api.add_argument(
        "--max-conversations",
        type=_positive_int,
        default=_API.store.cap,
        metavar="N",
        help="conversations kept in the store; the least recently used go first "
        "(default: %(default)s)",
    )
    api.add_argument(
        "--store",
        metavar="URL",
        help="where conversations are kept: sqlite:///PATH (default: "
        f"{default_store_url()}), redis://HOST:PORT/DB (several workers or machines), "
        "or memory:// (lost on restart)",
    )
    api.add_argument(
        "--store-key",
        default=os.environ.get(ENV_STORE_KEY) or None,
        metavar="KEY",
        help=f"encrypt Bing's conversation signatures in the store (default: ${ENV_STORE_KEY}; "
        "none: stored in clear, in a file readable by you only)",
    )
    api.add_argument(
        "--workers",
        type=_positive_int,
        default=_API.workers,
        metavar="N",
        help="processes serving the port; needs a store they share (default: %(default)s)",
    )


def _api_upstream_options(api: argparse.ArgumentParser) -> None:
    """How ``g4f api`` waits for its upstream and keeps websockets to it."""
    api.add_argument(
        "--timeout",
        type=_seconds,
        default=_API.upstream.timeouts.read,
        metavar="SECONDS",
        help="longest upstream silence while an answer streams (default: %(default)s)",
    )
    add_timeout_options(api)
    api.add_argument(
        "--idle-websockets",
        type=_positive_int,
        default=_API.upstream.idle_websockets,
        metavar="N",
        help="upstream websockets kept open between turns of kept conversations "
        "(default: %(default)s)",
    )


class _Version(argparse.Action):
    """``--version``: the version, and a warning when another distribution (gpt4free's
    ``g4f``) owns files in the same import package."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from .ownership import ownership_warning

        sys.stdout.write(f"g4f-bing {__version__}\n")
        warning = ownership_warning()
        parser.exit(message=f"{warning}\n" if warning else None)  # stderr


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The ``g4f`` parser and its sub-commands' parsers by name."""
    parser = argparse.ArgumentParser(
        prog="g4f",
        description="A client for the ChatHub protocol — Bing Chat's (2023) and Microsoft 365 "
        "Copilot's — with a local hub.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _chat_parser(commands)
    _hub_parser(commands)
    _api_parser(commands)
    add_login_parsers(commands)
    add_token_parser(commands)
    for sub in commands.choices.values():  # -v after the sub-command too
        sub.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log to stderr"
        )
    return parser, dict(commands.choices)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown option is reported with its sub-command's usage."""
    parser, commands = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args
