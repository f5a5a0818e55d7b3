"""The ``g4f`` command: ``chat`` talks to Bing, Microsoft 365 Copilot or a hub, ``hub`` runs the
local hub, ``api`` runs the OpenAI-compatible server, ``token`` shows what a Microsoft 365
Copilot token holds (its own exit status: :data:`g4f.cli.token.TOKEN_EXIT`).

Exit status: 0 success, 1 an error without a code of its own, 2 bad usage, 70 an internal
error (a bug: please report it), 78 the command could not start (a missing extra, a busy port,
a file it cannot write: :mod:`g4f.cli.startup`), 130 interrupted, and
per error class its code (:data:`g4f.cli.exit_codes.EXIT_CODES`, the table in docs/errors.md).
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

from .. import errors
from ..api.settings import ApiSettings, HttpLimits, StoreSettings, Upstream
from ..api.store import ENV_STORE_KEY, default_store_url
from ..hub import Hub, make_test_token, running_hub
from ..hub.responder import words_responder
from ..protocol import Style
from ..services import Image, registry
from ..services.bing import ENV_URL
from ..services.m365.client import ENV_M365_URL
from ..services.spec import ServiceEntry
from . import startup
from .exit_codes import exit_code_for
from .local_api import start_local_hub
from .options import ENV_API_KEY, parse, timeouts_of
from .ownership import ownership_warning
from .services import check_given, loaded_options
from .token import token_command
from .warnings import with_warn

if TYPE_CHECKING:
    from .chat import BackendFactory

__all__ = ["ENV_API_KEY", "exit_code_for", "main"]

log = logging.getLogger(__name__)

EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def _hub(args: argparse.Namespace) -> int:
    if args.print_token:
        sys.stdout.write(make_test_token() + "\n")
        return 0
    options: dict[str, Any] = {
        "latency": args.latency,
        "create_shape": args.create_shape,
        "pace": args.pace,
        "max_turns": args.max_turns,
        "m365_scenario": args.m365_scenario,
        "max_messages": args.max_messages,
        "chatapi_scenario": args.chatapi_scenario,
        "tls": args.tls,
    }
    if args.answer_words:
        options["responder"] = words_responder(args.answer_words)
    if args.cassette:
        hub = Hub.from_cassette(args.cassette, **options)
    else:
        hub = Hub(scenario=args.scenario, **options)
    if args.token_lifetime is not None:
        hub.chatapi.identity.access_lifetime = args.token_lifetime
    try:
        asyncio.run(_serve_hub(hub, args.host, args.port))
    except OSError as exc:  # the hub's port (its handlers' errors are their answers)
        raise startup.explain_listen(exc, args.host, args.port) from None
    return 0


async def _serve_hub(hub: Hub, host: str, port: int) -> None:
    async with running_hub(hub, host=host, port=port) as url:
        sys.stderr.write(f"g4f hub listening on {url} (Ctrl-C stops it)\n")
        sys.stderr.write(f"point clients at it with: export {ENV_URL}={url}\n")
        sys.stderr.write(
            f"Microsoft 365 Copilot clients: export {ENV_M365_URL}={url} "
            "(a token: g4f hub --print-token)\n"
        )
        _hub_chatapi_lines(hub, url)
        sys.stderr.flush()
        await asyncio.Event().wait()


def _hub_chatapi_lines(hub: Hub, url: str) -> None:
    """How Chat API clients reach the hub, and the certificate a TLS hub serves with."""
    paths = {e.env_url: e.local_options(url)["url"] for e in registry.REGISTRY.values()}
    urls = " ".join(f"{name}={at}" for name, at in paths.items() if at != url)
    sys.stderr.write(f"Chat API clients: export {urls}\n")
    if hub.certificate is not None:
        ca = hub.certificate.ca
        sys.stderr.write(f"g4f hub TLS certificate authority: {ca}\n")
        sys.stderr.write(f"trust it with: export REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca}\n")
        sys.stderr.write(
            f"sign in with: g4f login --service graph --client-id <your app> --tenant <tenant> "
            f"--authority {url}/<tenant> (device codes are approved at once)\n"
        )


def _chat(args: argparse.Namespace, backend_for: BackendFactory | None = None) -> int:
    from .chat import ChatOptions, document_url, interactive, make_output, one_shot

    chosen = check_given(args, "chat")
    if args.record is not None:
        startup.check_writable(args.record, "the cassette")
    options = ChatOptions(
        url=args.url,
        local=args.local,
        style=Style.parse(args.style),
        search=not args.no_search,
        proxy=args.proxy,
        timeout=args.timeout,
        timeouts=timeouts_of(args),
        json=args.json,
        record=args.record,
        retries=args.retries,
        service=chosen.name,
        service_options=with_warn(chosen, loaded_options(args, chosen)),
        tone=args.model or None,
        images=tuple(_image(path) for path in args.image),
        files=tuple(document_url(url) for url in args.file),
        backend_for=backend_for or registry.backend_for,
    )
    output = make_output(options, sys.stdout, sys.stderr)
    prompt = args.prompt
    if prompt is None and sys.stdin.isatty():
        return interactive(options, output)
    if prompt is None or prompt == "-":
        prompt = _read_stdin()  # before the event loop starts: no blocking inside it
    else:
        _check_text(prompt, "the prompt")
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
            output.notice(registry.entry(options.service).offline_hint)
        return code
    return 0


def _read_stdin() -> str:
    """Standard input as text; a usage error if it is not UTF-8."""
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"standard input is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
            f"{exc.start}); convert it first, e.g. with iconv -f LATIN1 -t UTF-8"
        ) from None
    _check_text(text, "standard input")
    return text


def _check_text(text: str, where: str) -> None:
    """A usage error if ``text`` holds bytes that are not UTF-8 (Python keeps them as lone
    surrogates, which no upstream can be sent)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = ord(text[exc.start]) - 0xDC00 if 0xDC80 <= ord(text[exc.start]) <= 0xDCFF else None
        shown = f"byte 0x{byte:02x}" if byte is not None else "a character"
        raise ValueError(
            f"{where} is not UTF-8 text ({shown} at position {exc.start}); convert it first, "
            "e.g. with iconv -f LATIN1 -t UTF-8"
        ) from None


def _image(path: Path) -> Image:
    """The image in ``path``; a usage error naming the file if it cannot be read or is none."""
    try:
        return Image.from_file(path)
    except OSError as exc:
        raise ValueError(f"cannot read the image {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"the image {path}: {exc}") from None


def _offline_default(options: Any, error: errors.G4FError) -> bool:
    """Whether ``error`` is the service's default upstream (its own hosts) being unreachable:
    no ``--url``, no ``--local``, nothing in the service's URL variable."""
    service = registry.entry(options.service)
    return not options.local and service.default_unreachable(error, options.url)


def _api(args: argparse.Namespace) -> int:
    run_workers = startup.api_server().run_workers  # the extra's packages, or what to install
    from ..api.notices import log_upstream_warning  # loaded with the extra only

    chosen = check_given(args, "api")
    service_options = with_warn(chosen, loaded_options(args, chosen), log_upstream_warning)
    if args.local:  # a hub in this process, serving until the process ends
        _, local = start_local_hub(chosen)
        args.url = local.get("url")
        service_options.update({k: v for k, v in local.items() if k != "url"})
    upstream = _upstream(chosen, args.url, service_options)  # a usage error, now
    loopback = args.host in ("127.0.0.1", "localhost", "::1")
    if not loopback and not args.api_key:
        sys.stderr.write(
            f"g4f: warning: serving on {args.host} without --api-key: anyone who can reach it "
            "can use it\n"
        )
    settings = _api_settings(args, chosen, service_options)
    stored = _check_store(settings)  # an unusable store is reported before anything runs
    sock = startup.listen(args.host, args.port)  # so is a busy port
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    workers = f", {settings.workers} workers" if settings.workers > 1 else ""
    sys.stderr.write(
        f"g4f api listening on http://{shown}:{port}/v1 "
        f"(upstream: {upstream}; conversations: {stored}{workers})\n"
    )
    if settings.ui:
        sys.stderr.write(f"g4f: the chat page is at http://{shown}:{port}/\n")
    if chosen.keeps_secrets and not settings.store.key and not stored.startswith("memory"):
        sys.stderr.write(
            f"g4f: note: {chosen.label or chosen.name}'s conversation signatures are stored in "
            "clear (in a file readable by you only, for SQLite); --store-key or "
            f"${ENV_STORE_KEY} encrypts them\n"
        )
    sys.stderr.flush()
    status: int = run_workers(settings, host=args.host, log_level=args.log_level, sock=sock)
    return status


def _api_settings(
    args: argparse.Namespace, chosen: ServiceEntry, service_options: dict[str, Any]
) -> ApiSettings:
    """``g4f api``'s settings from its flags; the service's own options go by their names."""
    return ApiSettings(
        upstream=Upstream.of(
            chosen.name,
            url=args.url,
            proxy=args.proxy,
            timeouts=timeouts_of(args),
            idle_websockets=args.idle_websockets,
            **service_options,
        ),
        http=HttpLimits(
            max_body_bytes=args.max_body_bytes,
            max_messages=args.max_messages,
            max_connections=args.max_connections,
        ),
        store=StoreSettings(
            url=args.store or default_store_url(),
            key=args.store_key,
            ttl=args.conversation_ttl,
            cap=args.max_conversations,
        ),
        api_key=args.api_key,
        cors_origins=tuple(args.cors_origin),
        docs=args.docs,
        ui=not args.no_ui,
        workers=args.workers,
    )


def _check_store(settings: ApiSettings) -> str:
    """Open the store once and close it: what it is, or a start-up error naming it."""
    from ..api.app import make_settings_store
    from ..api.store import StoreError

    store = make_settings_store(settings)
    if settings.workers > 1 and not store.shared:
        raise ValueError(
            f"--workers {settings.workers} needs a store the workers share "
            "(sqlite:///PATH or redis://…), not memory://"
        )

    async def check() -> None:
        await store.open()
        await store.close()

    try:
        asyncio.run(check())
    except StoreError as exc:
        raise ValueError(str(exc)) from None
    return store.describe()


def _upstream(service: ServiceEntry, url: str | None, options: dict[str, Any]) -> str:
    """What ``g4f api`` will talk to, for its start-up line. The service checks ``--url`` and
    its options (``ValueError``: a usage error); its warnings (an expired token: the file may
    be refreshed while the server runs) go to stderr."""
    described, warnings = service.describe(url, options)
    for warning in warnings:
        sys.stderr.write(f"g4f: warning: {warning}\n")
    return described


def main(argv: Sequence[str] | None = None, *, backend_for: BackendFactory | None = None) -> int:
    """Run the ``g4f`` command; returns the exit status.

    ``backend_for`` builds ``g4f chat``'s backend, as :func:`g4f.services.registry.backend_for`
    does (the default): a test passes one returning a
    :class:`~g4f.engine.fake.FakeBackend`."""
    args = parse(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    warning = ownership_warning(thorough=False)
    if warning:
        sys.stderr.write(warning + "\n")
    try:
        if args.command == "chat":
            return _chat(args, backend_for)
        if args.command == "api":
            return _api(args)
        if args.command in ("login", "logout"):
            from .login import run_login, run_logout

            return run_login(args) if args.command == "login" else run_logout(args)
        if args.command == "token":
            return token_command(args)
        return _hub(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except startup.StartupError as exc:
        sys.stderr.write(f"g4f: error: {exc}\n")
        return startup.EXIT_STARTUP
    except BrokenPipeError:
        # The reader went away (`g4f chat … | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"g4f: error: {exc}\n")
        return EXIT_USAGE if isinstance(exc, ValueError) else 1
    except Exception as exc:  # a bug of ours: one line, the traceback only when asked for
        log.debug("internal error", exc_info=exc)
        sys.stderr.write(
            f"g4f: internal error: {type(exc).__name__}: {exc} "
            "(please report it; -v shows the traceback)\n"
        )
        return EXIT_INTERNAL
