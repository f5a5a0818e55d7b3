"""The identity platform's endpoints MSAL uses for the device-code, authorization-code
(loopback redirect, :mod:`.authcode`) and refresh flows, on the hub (served over HTTPS with
``Hub(tls=True)``: MSAL wants an ``https://`` authority):

- ``GET /common/discovery/instance`` (instance discovery, which MSAL asks first unless told the
  authority is known: ``g4f login`` tells it so for an authority that is no Microsoft host);
- ``GET /{tenant}/v2.0/.well-known/openid-configuration``;
- ``POST /{tenant}/oauth2/v2.0/devicecode``;
- ``GET /{tenant}/oauth2/v2.0/authorize`` (:class:`.authcode.AuthorizationCodes`);
- ``POST /{tenant}/oauth2/v2.0/token`` (the device-code, authorization-code (PKCE) and
  refresh-token grants; refresh tokens rotate at each use).

The user's side of the device flow (entering the code in a browser) is :attr:`device_outcome`:
``approve``, ``decline``, ``expire`` or ``public_client_off`` (``AADSTS7000218``), after
:attr:`pending_polls` answers of ``authorization_pending``. Tokens are unsigned test tokens.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..m365.token import b64url, unsigned_jwt
from .authcode import AuthorizationCodes, Redeemed
from .spec import GRAPH_AUDIENCES, PUBLIC_CLIENT_OFF, WORKIQ_AUDIENCES
from .tokens import TEST_OID, TEST_TID

__all__ = ["DEVICE_OUTCOMES", "IdentityPlatform"]

DEVICE_OUTCOMES = ("approve", "decline", "expire", "public_client_off")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_GRANT = "authorization_code"
OIDC = frozenset({"openid", "profile", "offline_access"})
USERNAME = "adele@contoso.example"


@dataclass
class _Grant:
    client_id: str
    tenant: str
    scopes: tuple[str, ...] = ()
    polls: int = 0


def _audience(scopes: list[str]) -> str | None:
    """The one resource the scopes are for (a token has one audience)."""
    resources = set()
    for scope in scopes:
        if scope.startswith("api://workiq.svc.cloud.microsoft/"):
            resources.add(WORKIQ_AUDIENCES[0])
        elif scope.startswith("https://graph.microsoft.com/"):
            resources.add(GRAPH_AUDIENCES[0])
        elif scope not in OIDC:
            return None
    return resources.pop() if len(resources) == 1 else None


def _error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description, "error_codes": [0]}, status=status
    )


class IdentityPlatform:
    """The sign-in endpoints (``hub.chatapi.identity``).

    Attributes:
        device_outcome: what the user does with the code (see the module's docstring).
        pending_polls: ``authorization_pending`` answers before the outcome.
        access_lifetime: seconds an access token lives.
        grants: the grant type of each token request (tests read it: a silent renewal is a
            ``refresh_token`` grant).
        authcodes: the authorization-code side (its ``outcome``: approve or decline).
    """

    def __init__(self, *, now: Callable[[], float] = time.time) -> None:
        self.now = now
        self.device_outcome = "approve"
        self.pending_polls = 0
        self.access_lifetime = 3600
        self.grants: deque[str] = deque(maxlen=1000)
        self._devices: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self.authcodes = AuthorizationCodes()

    def add_routes(self, app: web.Application) -> None:
        """Serve the endpoints on ``app``."""
        app.router.add_get("/common/discovery/instance", self._instance)
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_post("/{tenant}/oauth2/v2.0/devicecode", self._devicecode)
        app.router.add_get("/{tenant}/oauth2/v2.0/authorize", self.authcodes.authorize)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)

    def revoke(self) -> None:
        """Revoke every refresh token (a sign-in then fails with ``invalid_grant``)."""
        self._refresh.clear()

    @staticmethod
    def _origin(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    async def _instance(self, request: web.Request) -> web.Response:
        tenant = "common"
        endpoint = f"{self._origin(request)}/{tenant}/v2.0/.well-known/openid-configuration"
        return web.json_response({"tenant_discovery_endpoint": endpoint, "api-version": "1.1",
                                  "metadata": []})  # fmt: skip

    async def _openid(self, request: web.Request) -> web.Response:
        root = f"{self._origin(request)}/{request.match_info['tenant']}"
        return web.json_response(
            {
                "issuer": f"{root}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
                "tenant_region_scope": "EU",
            }
        )

    async def _devicecode(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, scope = str(form.get("client_id", "")), str(form.get("scope", ""))
        if not client_id or _audience(scope.split()) is None:
            return _error(400, "invalid_scope", "AADSTS70011: the scopes are for no one resource")
        code = secrets.token_hex(4).upper()
        device = secrets.token_urlsafe(24)
        tenant = request.match_info["tenant"]
        self._devices[device] = _Grant(client_id, tenant, tuple(scope.split()))
        uri = f"{self._origin(request)}/devicelogin"
        return web.json_response(
            {
                "user_code": code,
                "device_code": device,
                "verification_uri": uri,
                "expires_in": 900,
                "interval": 1,
                "message": f"To sign in, use a web browser to open the page {uri} and enter "
                f"the code {code} to authenticate.",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant_type = str(form.get("grant_type", ""))
        self.grants.append(grant_type)
        grant: _Grant | None
        nonce = ""
        if grant_type == CODE_GRANT:
            redeemed = self.authcodes.redeem({k: str(v) for k, v in form.items()})
            if not isinstance(redeemed, Redeemed):
                return _error(400, *redeemed)
            grant = _Grant(redeemed.client_id, redeemed.tenant, redeemed.scopes)
            nonce = redeemed.nonce
        elif grant_type == DEVICE_GRANT:
            grant = self._devices.get(str(form.get("device_code", "")))
            refused = self._device_refusal(grant)
            if refused is not None:
                return refused
        elif grant_type == "refresh_token":
            grant = self._refresh.pop(str(form.get("refresh_token", "")), None)
            if grant is None:
                return _error(400, "invalid_grant", "AADSTS70008: the refresh token has expired")
        else:
            return _error(400, "unsupported_grant_type", f"AADSTS70003: {grant_type!r}")
        assert grant is not None
        # The device-code grant may name no scope: those of its device code then.
        scopes = str(form.get("scope", "")).split() or list(grant.scopes)
        audience = _audience(scopes)
        if audience is None:
            return _error(400, "invalid_scope", "AADSTS70011: the scopes are for no one resource")
        if str(form.get("client_id", "")) != grant.client_id:
            return _error(400, "invalid_client", "AADSTS700016: the client id does not match")
        return web.json_response(self._tokens(request, grant, scopes, audience, nonce))

    def _device_refusal(self, grant: _Grant | None) -> web.Response | None:
        if grant is None:
            return _error(400, "expired_token", "AADSTS70020: the device code has expired")
        grant.polls += 1
        if grant.polls <= self.pending_polls:
            return _error(400, "authorization_pending", "AADSTS70016: pending")
        outcome = self.device_outcome
        if outcome == "decline":
            return _error(400, "authorization_declined", "AADSTS70000: the user declined")
        if outcome == "expire":
            return _error(400, "expired_token", "AADSTS70020: the device code has expired")
        if outcome == "public_client_off":
            return _error(401, "invalid_client", PUBLIC_CLIENT_OFF)
        return None

    def _tokens(
        self, request: web.Request, grant: _Grant, scopes: list[str], audience: str, nonce: str = ""
    ) -> dict[str, Any]:
        now = int(self.now())
        issuer = f"{self._origin(request)}/{grant.tenant}/v2.0"
        refresh = secrets.token_urlsafe(32)
        self._refresh[refresh] = grant
        user = {"oid": TEST_OID, "tid": TEST_TID}
        id_claims = {"iss": issuer, "sub": TEST_OID, "aud": grant.client_id, "iat": now,
                     "nbf": now, "exp": now + 3600, "preferred_username": USERNAME,
                     "name": "Adele Vance", "ver": "2.0", **user}  # fmt: skip
        if nonce:  # the authorize request's (MSAL checks it came back)
            id_claims["nonce"] = nonce
        scp = " ".join(s.rsplit("/", 1)[-1] for s in scopes)
        access_claims = {"aud": audience, "iat": now, "exp": now + self.access_lifetime,
                         "scp": scp, **user}  # fmt: skip
        id_token, access = unsigned_jwt(id_claims), unsigned_jwt(access_claims)
        return {
            "token_type": "Bearer",
            "scope": " ".join(s for s in scopes if s not in OIDC),
            "expires_in": self.access_lifetime,
            "ext_expires_in": self.access_lifetime,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": id_token,
            "client_info": b64url(json.dumps({"uid": TEST_OID, "utid": TEST_TID}).encode()),
        }
