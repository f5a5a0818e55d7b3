"""The ``g4f`` command: ``g4f chat`` talks to Bing (or a hub), ``g4f hub`` runs the local hub."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Sequence

from . import __version__, errors
from .client import ENV_URL, BingClient, Timeouts
from .hub import CREATE_SCENARIOS, TURN_SCENARIOS, Hub, running_hub
from .protocol import Retraction, Style, TextDelta

__all__ = ["EXIT_CODES", "main"]

log = logging.getLogger(__name__)

EXIT_CODES: dict[type[errors.G4FError], int] = {
    errors.RateLimited: 3,
    errors.ChallengeRequired: 4,
    errors.NotAuthorized: 5,
    errors.AccessDenied: 5,
    errors.ConversationExpired: 6,
    errors.ConversationInvalid: 6,
    errors.Busy: 7,
    errors.ResponseTimeout: 8,
    errors.ConnectionClosed: 9,
    errors.ProtocolError: 10,
    errors.ServerError: 11,
}
"""Exit status per error class; any other :class:`~g4f.errors.G4FError` exits with 1."""

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def exit_code_for(error: errors.G4FError) -> int:
    """The documented exit status for ``error`` (most specific class first)."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="g4f", description="A client for Bing Chat's ChatHub protocol, with a local hub."
    )
    parser.add_argument("--version", action="version", version=f"g4f-bing {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="ask one question and stream the answer to stdout")
    chat.add_argument("prompt", help="the question; '-' reads it from standard input")
    chat.add_argument(
        "--local", action="store_true", help="start a local hub on a free port and ask it"
    )
    chat.add_argument("--url", help=f"a server serving both ChatHub paths (default: ${ENV_URL})")
    chat.add_argument(
        "--style",
        choices=[s.value for s in Style],
        default=Style.PRECISE.value,
        help="conversation style (default: precise)",
    )
    chat.add_argument("--timeout", type=float, default=60.0, help="read timeout in seconds")

    hub = commands.add_parser(
        "hub",
        help="run the local ChatHub hub",
        description="Serve GET /turing/conversation/create and the /sydney/ChatHub websocket.",
    )
    hub.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    hub.add_argument("--port", type=int, default=8765, help="port to bind (default: 8765)")
    hub.add_argument(
        "--scenario",
        default="stream",
        help="what every conversation plays: "
        + ", ".join((*TURN_SCENARIOS, "fail:VALUE", *CREATE_SCENARIOS)),
    )
    hub.add_argument(
        "--create-shape",
        choices=("both", "body", "headers"),
        default="both",
        help="where the conversation signature goes: JSON body, X-Sydney-* headers, or both",
    )
    hub.add_argument(
        "--pace", type=float, default=0.03, help="seconds between answer messages (default: 0.03)"
    )
    return parser


def _read_prompt(prompt: str) -> str:
    if prompt == "-":
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise ValueError("the prompt is empty")
    return prompt.strip()


async def _answer(client: BingClient, prompt: str, style: str) -> AsyncIterator[str]:
    async for event in client.ask(prompt, style=style):
        if isinstance(event, TextDelta):
            yield event.text
        elif isinstance(event, Retraction):
            yield f"\n\n[the answer was retracted by the service] {event.apology}"


async def _chat(args: argparse.Namespace) -> int:
    prompt = _read_prompt(args.prompt)
    timeouts = Timeouts(read=args.timeout)
    async with contextlib.AsyncExitStack() as stack:
        url = args.url
        if args.local:
            url = await stack.enter_async_context(running_hub(Hub(pace=0.02)))
        client = await stack.enter_async_context(BingClient(url=url, timeouts=timeouts))
        async for piece in _answer(client, prompt, args.style):
            sys.stdout.write(piece)
            sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


async def _hub(args: argparse.Namespace) -> int:
    hub = Hub(scenario=args.scenario, create_shape=args.create_shape, pace=args.pace)
    async with running_hub(hub, host=args.host, port=args.port) as url:
        sys.stderr.write(f"g4f hub listening on {url} (Ctrl-C stops it)\n")
        sys.stderr.write(f"point clients at it with: export {ENV_URL}={url}\n")
        sys.stderr.flush()
        await asyncio.Event().wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``g4f`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    command = _chat if args.command == "chat" else _hub
    try:
        return asyncio.run(command(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except errors.G4FError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"\ng4f: error: {type(exc).__name__}: {exc}\n")
        return exit_code_for(exc)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"g4f: error: {exc}\n")
        return EXIT_USAGE if isinstance(exc, ValueError) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
