"""The authorization-code side of the hub's identity platform, which MSAL's loopback-redirect
sign-in (``acquire_token_interactive``, ``g4f login --browser``) uses:

- ``GET /{tenant}/oauth2/v2.0/authorize``: where the browser is sent. The identity platform
  would show its sign-in page; the hub is a test double and approves at once (or declines, as
  :attr:`AuthorizationCodes.outcome` says), sending the browser back to the ``redirect_uri`` —
  MSAL's listener on ``http://localhost:<port>`` — with ``code`` and ``state``: as the page
  that POSTs a form there for ``response_mode=form_post`` (what MSAL asks for: its listener
  takes nothing else), else as a 302 with them in the query.
- the ``authorization_code`` grant on the token endpoint (:meth:`AuthorizationCodes.redeem`):
  the code once, for the same client and redirect URI, with PKCE — the ``code_verifier``'s
  SHA-256 must be the ``code_challenge`` (S256) the authorize request carried.

Only loopback ``http://`` redirect URIs are accepted (a public client's, RFC 8252).
"""

from __future__ import annotations

import hashlib
import html
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from ..m365.token import b64url

__all__ = ["AuthorizationCodes", "Redeemed"]

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class Redeemed:
    """What an authorization code was issued for (the token endpoint issues the tokens)."""

    client_id: str
    tenant: str
    scopes: tuple[str, ...]
    nonce: str


@dataclass(frozen=True, slots=True)
class _Code:
    redeemed: Redeemed
    redirect_uri: str
    challenge: str


def _s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("utf-8")).digest())


def _loopback(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    except ValueError:
        return False


def _form_post(action: str, fields: Mapping[str, str]) -> web.Response:
    """The page the identity platform answers with for ``response_mode=form_post``: a form
    the browser's script submits to the redirect URI."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}"/>'
        for k, v in fields.items()
    )
    page = (
        "<html><head><title>Working...</title></head><body>"
        f'<form method="POST" name="hiddenform" action="{html.escape(action)}">{inputs}'
        "<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<input type="submit" value="Submit"/></noscript></form>'
        "<script>document.forms[0].submit();</script></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


class AuthorizationCodes:
    """``/authorize`` and the codes it issued (``hub.chatapi.identity.authcodes``).

    Attributes:
        outcome: what the user does on the sign-in page: ``approve`` or ``decline``.
        authorized: how many authorize requests were answered (tests read it).
    """

    def __init__(self) -> None:
        self.outcome = "approve"
        self.authorized = 0
        self._codes: dict[str, _Code] = {}

    async def authorize(self, request: web.Request) -> web.Response:
        """``GET /{tenant}/oauth2/v2.0/authorize``: back to the redirect URI at once."""
        query = request.query
        redirect_uri = query.get("redirect_uri", "")
        if not query.get("client_id") or not _loopback(redirect_uri):
            # Never redirect to an address that is not the caller's own machine.
            return web.Response(status=400, text="AADSTS50011: the redirect URI is not loopback")
        self.authorized += 1
        fields = self._answer(request)
        if "state" in query:
            fields["state"] = query["state"]
        if query.get("response_mode") == "form_post":
            return _form_post(redirect_uri, fields)
        join = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{join}{urlencode(fields)}")

    def _answer(self, request: web.Request) -> dict[str, str]:
        query = request.query
        if query.get("response_type") != "code":
            return {"error": "unsupported_response_type", "error_description": "AADSTS70005"}
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return {"error": "invalid_request",
                    "error_description": "AADSTS9002325: PKCE (S256) is required"}  # fmt: skip
        if self.outcome == "decline":
            return {"error": "access_denied",
                    "error_description": "AADSTS65004: User declined to consent"}  # fmt: skip
        code = secrets.token_urlsafe(32)
        scopes = tuple(query.get("scope", "").split())
        redeemed = Redeemed(
            query["client_id"], request.match_info["tenant"], scopes, query.get("nonce", "")
        )
        self._codes[code] = _Code(redeemed, query["redirect_uri"], query["code_challenge"])
        return {"code": code}

    def redeem(self, form: Mapping[str, str]) -> Redeemed | tuple[str, str]:
        """The ``authorization_code`` grant: what the code was for, or ``(error,
        description)``. A code is good once, whatever the outcome."""
        issued = self._codes.pop(form.get("code", ""), None)
        if issued is None:
            return "invalid_grant", "AADSTS70008: the authorization code has expired or was used"
        if form.get("client_id", "") != issued.redeemed.client_id:
            return "invalid_client", "AADSTS700016: the client id does not match"
        if form.get("redirect_uri", "") != issued.redirect_uri:
            return "invalid_grant", "AADSTS50011: the redirect URI does not match"
        if not secrets.compare_digest(_s256(form.get("code_verifier", "")), issued.challenge):
            return "invalid_grant", (
                "AADSTS501481: the code_verifier does not match the code_challenge "
                "supplied in the authorization request"
            )
        return issued.redeemed
