"""``g4f login`` and ``g4f logout``: signing in to the Chat API services (``graph``, ``workiq``)
with the user's own app registration, through MSAL (:mod:`g4f.services.chatapi.signin`).

The device-code flow by default (MSAL's message is printed, then it waits for the sign-in in any
browser), ``--browser`` for the loopback-redirect flow. The client id, tenant and authority are
remembered, so a later ``g4f login`` (and every other command) needs no flags. No token is ever
printed: only who signed in and where the cache is kept.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from .. import errors
from ..services.chatapi.signin import ENV_STATE_DIR, LoginConfig, login, logout, signed_in
from ..services.chatapi.spec import HOSTS
from .exit_codes import exit_code_for
from .output import error_line

__all__ = ["add_login_parsers", "run_login", "run_logout"]


def add_login_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``login`` and ``logout`` sub-commands."""
    services = list(HOSTS)
    sign_in = commands.add_parser(
        "login",
        help="sign in to the Chat API (graph, workiq) with your own app registration",
        description=(
            "Sign in with MSAL's device-code flow (or --browser) under your own Entra ID app "
            "registration, and keep MSAL's token cache (encrypted with the system keyring "
            "where there is one, else a file readable by you only, in "
            f"${ENV_STATE_DIR} or ~/.local/state/g4f). The client id, tenant and authority are "
            "remembered: later commands need no flags. No token is ever printed."
        ),
    )
    sign_in.add_argument(
        "--service",
        choices=services,
        default=services[0],
        help="the Chat API host to sign in for (default: %(default)s)",
    )
    sign_in.add_argument(
        "--client-id",
        metavar="ID",
        help="your app registration's application (client) id (default: the one remembered)",
    )
    sign_in.add_argument(
        "--tenant", metavar="TENANT", help="your tenant id or domain (default: the one remembered)"
    )
    sign_in.add_argument(
        "--authority",
        metavar="URL",
        help="the sign-in authority (default: "
        "https://login.microsoftonline.com/TENANT; a hub: https://HOST:PORT/"
        "TENANT)",
    )
    sign_in.add_argument(
        "--browser",
        action="store_true",
        help="sign in in a browser on this machine (redirect to http://localhost) "
        "instead of with a device code",
    )
    sign_out = commands.add_parser(
        "logout",
        help="forget the Chat API sign-in of a service",
        description="Forget the account, MSAL's token cache and the remembered app registration.",
    )
    sign_out.add_argument(
        "--service",
        choices=services,
        default=services[0],
        help="the service to sign out of (default: %(default)s)",
    )


def _remembered(service: str) -> LoginConfig | None:
    """The app registration remembered for ``service``, else for another Chat API service."""
    for name in (service, *(s for s in HOSTS if s != service)):
        found = signed_in(name)
        if found is not None:
            return found.config
    return None


def run_login(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """``g4f login``: the exit status (5, :class:`~g4f.errors.NotAuthorized`'s, on a refusal);
    MSAL's message and the outcome on ``out`` (stdout), a failure on ``err`` (stderr)."""
    out, err = out or sys.stdout, err or sys.stderr
    known = _remembered(args.service)
    client_id = args.client_id or (known.client_id if known else "")
    tenant = args.tenant or (known.tenant if known else "")
    if not client_id or not tenant:
        raise ValueError(
            "g4f login needs your app registration's --client-id and your --tenant the first "
            'time (docs/chat-api.md, "What it needs", says how to register an app)'
        )
    authority = args.authority
    if authority is None and known is not None and tenant == known.tenant:
        authority = known.authority  # the remembered one, unless another tenant is named

    def show(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    try:
        result = login(args.service, client_id, tenant, authority, args.browser, show)
    except ImportError:
        raise ValueError(
            "g4f login needs the msal package: pip install 'g4f-bing[chatapi]'"
        ) from None
    except errors.G4FError as exc:
        err.write(error_line(exc) + "\n")
        return exit_code_for(exc)
    who = f" as {result.username}" if result.username else ""
    show(f"Signed in to {args.service}{who}. The token cache is {result.cache}.")
    show(f"Remembered client id {client_id} and tenant {tenant}: later commands need no flags.")
    return 0


def run_logout(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``g4f logout``: 0, whether or not anything was signed in (said either way)."""
    out = out or sys.stdout
    if logout(args.service):
        out.write(
            f"Signed out of {args.service}: the account and its token cache are forgotten."
            f" Run `g4f login --service {args.service}` to sign in again.\n"
        )
    else:
        out.write(f"Not signed in to {args.service}: nothing to forget.\n")
    out.flush()
    return 0
