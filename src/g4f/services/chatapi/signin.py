"""Signing in to the Chat API with the user's own app registration, through MSAL
(M365-CHAT-API.md §6): what ``g4f login`` and ``g4f logout`` run, and the token provider every
later command uses.

- :func:`login`: the device-code flow by default (MSAL's message is shown, then it waits for the
  user to sign in in any browser), or the loopback-redirect flow (``browser=True``) for tenants
  whose Conditional Access blocks device code. It remembers the client id, tenant and authority
  (no secret) so later commands need no flags.
- :class:`SignIn`: ``acquire_token_silent`` on every use (renewed from the cached refresh token),
  the cache persisted whenever it changed.
- :func:`logout`: forgets the account and its cache.

The token cache holds a refresh token: it is encrypted where ``msal-extensions`` finds a keyring
(DPAPI, Keychain, libsecret), otherwise a 0600 file in a 0700 directory
(``$G4F_STATE_DIR``, else ``$XDG_STATE_HOME/g4f``, else ``~/.local/state/g4f``). No token is ever
printed, logged or put in an error. The HTTPS trust store is requests' (``REQUESTS_CA_BUNDLE`` is
honoured), so a company's TLS proxy works. The client id is the user's: never a password typed,
never a login page driven, never one of Microsoft's application ids.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...errors import NotAuthorized
from ...files import private_dir, write_private
from .spec import HOSTS, Host

__all__ = [
    "LoginConfig",
    "LoginResult",
    "SignIn",
    "login",
    "logout",
    "signed_in",
    "state_dir",
]

ENV_STATE_DIR = "G4F_STATE_DIR"
"""Environment variable naming the directory of the sign-in state (tests point it elsewhere)."""
ENV_CACHE = "G4F_TOKEN_CACHE"
"""``file`` keeps the token cache in a 0600 file even where a keyring exists."""
WORLD_WIDE = "https://login.microsoftonline.com"
MICROSOFT_HOSTS = frozenset(
    {"login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
     "login.microsoftonline.us", "login.partner.microsoftonline.cn"}
)  # fmt: skip
PUBLIC_CLIENT_OFF = "AADSTS7000218"


def state_dir() -> Path:
    """Where the sign-in state lives (not created here)."""
    named = os.environ.get(ENV_STATE_DIR, "").strip()
    if named:
        return Path(named).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "g4f"


@dataclass(frozen=True, slots=True)
class LoginConfig:
    """What ``g4f login`` remembers for a service (nothing secret).

    Attributes:
        service: ``graph`` or ``workiq``.
        client_id: the user's app registration.
        tenant: the tenant id or domain.
        authority: the sign-in authority URL (``https://login.microsoftonline.com/<tenant>``).
        username: who signed in (shown by ``g4f login``), when known.
    """

    service: str
    client_id: str
    tenant: str
    authority: str
    username: str = ""

    @classmethod
    def load(cls, path: Path) -> LoginConfig | None:
        """The saved configuration, ``None`` when there is none or it is unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: str(data[k]) for k in ("service", "client_id", "tenant", "authority")},
                       username=str(data.get("username", "")))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What :func:`login` tells the user: who signed in and where the cache is kept."""

    username: str
    cache: str


def _host(service: str) -> Host:
    host = HOSTS.get(service)
    if host is None:
        raise ValueError(f"sign-in is for the services {', '.join(HOSTS)}, not {service!r}")
    return host


def _paths(service: str, directory: Path | None) -> tuple[Path, Path]:
    base = directory or state_dir()
    return base / f"login-{service}.json", base / f"token-cache-{service}.bin"


class _Cache:
    """The MSAL token cache of one service: encrypted by msal-extensions where a keyring exists,
    else a 0600 file written whenever MSAL changed it."""

    def __init__(self, path: Path) -> None:
        import msal

        self.path = path
        self.kind = f"a file readable by you only ({path})"
        self.cache: Any = self._encrypted(path)
        self.encrypted = self.cache is not None
        """msal-extensions persists the cache itself, encrypted: nothing is written in clear."""
        if self.cache is None:
            self.cache = msal.SerializableTokenCache()
            with contextlib.suppress(FileNotFoundError):
                self.cache.deserialize(path.read_text(encoding="utf-8"))
        else:
            self.kind = f"encrypted with the system keyring ({path})"

    @staticmethod
    def _encrypted(path: Path) -> Any:
        if os.environ.get(ENV_CACHE, "").strip().lower() == "file":
            return None
        try:
            import msal_extensions

            persistence = msal_extensions.build_encrypted_persistence(str(path) + ".enc")
            private_dir(path.parent)
            return msal_extensions.PersistedTokenCache(persistence)
        except Exception:  # no msal-extensions, or no keyring here (e.g. no libsecret)
            return None

    def save(self) -> None:
        """Persist the cache if MSAL changed it (the refresh token rotates at each use); an
        encrypted cache persists itself (a PersistedTokenCache has ``serialize`` too, but a
        file of it would hold the refresh token in clear)."""
        if self.encrypted:
            return
        if hasattr(self.cache, "serialize") and self.cache.has_state_changed:
            private_dir(self.path.parent)
            write_private(self.path, self.cache.serialize())
            self.cache.has_state_changed = False


def _app(config: LoginConfig, cache: _Cache, http: Any) -> Any:
    import msal

    custom = urlsplit(config.authority).hostname not in MICROSOFT_HOSTS
    return msal.PublicClientApplication(
        config.client_id,
        authority=config.authority,
        token_cache=cache.cache,
        http_client=http,  # requests' session: its trust store honours REQUESTS_CA_BUNDLE
        # An authority that is no Microsoft host is the user's choice (a sovereign cloud, the
        # hub): MSAL would otherwise ask login.microsoftonline.com to vouch for it.
        instance_discovery=not custom,
    )


def _session() -> Any:
    """The HTTP session MSAL uses (closed by its owner, so no socket is left open)."""
    import requests

    return requests.Session()


def _refusal(result: Mapping[str, Any], service: str) -> NotAuthorized:
    """The typed error for MSAL's error answer (its description holds no token)."""
    error = str(result.get("error", "") or "")
    description = str(result.get("error_description", "") or "").split("\r\n")[0].split("\n")[0]
    again = f"run `g4f login --service {service}` again"
    if PUBLIC_CLIENT_OFF in description:
        advice = (
            "public client flows are off: turn on 'Allow public client flows' in the app "
            "registration (Entra admin centre → App registrations → Authentication), then "
            + again
        )
    elif error == "expired_token":
        advice = f"the code expired before the sign-in finished: {again} and enter it sooner"
    elif error in ("authorization_declined", "access_denied"):
        advice = f"the sign-in was declined in the browser: {again} and accept it"
    elif error == "invalid_grant":
        advice = f"the sign-in has expired or was revoked: {again}"
    else:
        advice = f"the sign-in failed: check the client id and tenant, then {again}"
    return NotAuthorized(f"sign-in failed: {error or 'error'}: {description}", advice=advice)


def _device_flow(app: Any, host: Host, out: Callable[[str], None]) -> Mapping[str, Any]:
    flow = app.initiate_device_flow(scopes=list(host.scopes))
    if "user_code" not in flow:
        raise _refusal(flow, host.name)
    out(str(flow["message"]))
    result: Mapping[str, Any] = app.acquire_token_by_device_flow(flow)
    return result


BROWSER_WAIT = 600.0
"""Seconds a ``--browser`` sign-in waits for the browser to come back (MSAL then gives up)."""


def _browser_flow(app: Any, host: Host, out: Callable[[str], None]) -> Mapping[str, Any]:
    out(
        "Opening a browser on this machine to sign in (redirect to http://localhost; "
        f"waiting up to {BROWSER_WAIT:g} s) …"
    )
    result: Mapping[str, Any] = app.acquire_token_interactive(
        scopes=list(host.scopes), prompt="select_account", timeout=BROWSER_WAIT
    )
    return result


def login(
    service: str,
    client_id: str,
    tenant: str,
    authority: str | None = None,
    browser: bool = False,
    out: Callable[[str], None] = lambda line: None,
    *,
    directory: Path | None = None,
) -> LoginResult:
    """Sign in to ``service`` with the app registration ``client_id`` in ``tenant``; remember
    them and keep MSAL's cache. ``out`` shows MSAL's device-code message (``g4f login`` prints
    it). :class:`~g4f.errors.NotAuthorized` saying what to do when the sign-in fails."""
    host = _host(service)
    if not client_id.strip() or not tenant.strip():
        raise ValueError("a sign-in needs your app registration's client id and your tenant")
    config = LoginConfig(service, client_id.strip(), tenant.strip(),
                         (authority or f"{WORLD_WIDE}/{tenant.strip()}").rstrip("/"))  # fmt: skip
    config_path, cache_path = _paths(service, directory)
    cache = _Cache(cache_path)
    with contextlib.closing(_session()) as http:
        app = _app(config, cache, http)
        result = (_browser_flow if browser else _device_flow)(app, host, out)
    if "access_token" not in result:
        raise _refusal(result, service)
    cache.save()
    claims = result.get("id_token_claims") or {}
    username = str(claims.get("preferred_username") or claims.get("name") or "")
    config = LoginConfig(**{**asdict(config), "username": username})
    private_dir(config_path.parent)
    write_private(config_path, json.dumps(asdict(config), indent=2) + "\n")
    return LoginResult(username, cache.kind)


def logout(service: str, *, directory: Path | None = None) -> bool:
    """Forget the account of ``service``: MSAL's accounts, the cache, the saved configuration.
    Whether anything was signed in."""
    _host(service)
    config_path, cache_path = _paths(service, directory)
    config = LoginConfig.load(config_path)
    if config is not None:
        with contextlib.suppress(Exception), contextlib.closing(_session()) as http:
            cache = _Cache(cache_path)  # an unreadable cache is removed below anyway
            app = _app(config, cache, http)
            for account in app.get_accounts():
                app.remove_account(account)
            cache.save()
    found = config is not None
    for path in (config_path, cache_path, Path(str(cache_path) + ".enc")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            found = True
    return found


class SignIn:
    """Tokens of a saved sign-in, renewed silently (a :class:`TokenProvider`)."""

    def __init__(self, config: LoginConfig, cache_path: Path) -> None:
        self.config, self._cache_path = config, cache_path
        self.host = _host(config.service)
        self.advice = f"run `g4f login --service {config.service}` to sign in again"
        self._app: Any = None
        self._cache: _Cache | None = None
        self._http: Any = None

    def __repr__(self) -> str:
        return f"SignIn(service={self.config.service!r}, client_id={self.config.client_id!r})"

    def token(self) -> str:
        """A current access token from MSAL's cache (refreshed over the network when it has
        expired); :class:`~g4f.errors.NotAuthorized` when the sign-in is gone."""
        if self._app is None:
            self._cache, self._http = _Cache(self._cache_path), _session()
            self._app = _app(self.config, self._cache, self._http)
        accounts = self._app.get_accounts()
        if not accounts:
            raise NotAuthorized(f"not signed in to {self.config.service}", advice=self.advice)
        result = self._app.acquire_token_silent(list(self.host.scopes), account=accounts[0])
        if self._cache is not None:
            self._cache.save()
        if not result or "access_token" not in result:
            raise _refusal(result or {"error": "no_token"}, self.config.service)
        return str(result["access_token"])

    def close(self) -> None:
        """Close MSAL's HTTP session (its pooled connections)."""
        http, self._http, self._app = self._http, None, None
        if http is not None:
            http.close()


def signed_in(service: str, *, directory: Path | None = None) -> SignIn | None:
    """The saved sign-in of ``service``, ``None`` when ``g4f login`` was not run for it."""
    config_path, cache_path = _paths(service, directory)
    config = LoginConfig.load(config_path)
    if config is None or config.service != service:
        return None
    return SignIn(config, cache_path)
