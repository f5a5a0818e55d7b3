"""What a failure to reach a server means, typed: aiohttp's and python-socks' exceptions in,
:class:`~g4f.errors.G4FError` out, naming the host or the proxy and never a credential."""

from __future__ import annotations

import aiohttp

from ..errors import ConnectError, ConnectTimeout, G4FError
from .config import host_of
from .proxy import redact_url

__all__ = ["connect_failure"]


def _socks_errors() -> tuple[type[BaseException], ...]:
    try:
        import aiohttp_socks
        import python_socks
    except ImportError:  # the socks extra is not installed: no SOCKS proxy can be in use
        return ()
    # aiohttp-socks re-raises python-socks' errors as its own classes of the same names.
    return tuple(
        getattr(module, name)
        for module in (python_socks, aiohttp_socks)
        for name in ("ProxyError", "ProxyConnectionError", "ProxyTimeoutError")
        if hasattr(module, name)
    )


def _proxy_failure(exc: BaseException, proxy: str) -> G4FError | None:
    # SOCKS errors come from python-socks and are no aiohttp.ClientError.
    proxy_errors = (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)
    if not isinstance(exc, proxy_errors + _socks_errors()):
        return None
    where = f"the proxy {redact_url(proxy)}"
    if isinstance(exc, TimeoutError):
        return ConnectTimeout(f"connecting through {where} timed out")
    return ConnectError(f"could not connect through {where}: {type(exc).__name__}")


def connect_failure(exc: BaseException, url: str, proxy: str | None) -> G4FError | None:
    """The typed error for a failure to reach ``url`` (through ``proxy``), or ``None`` when
    ``exc`` is no such failure. A proxy's own failure names the proxy, its password redacted."""
    failure = _proxy_failure(exc, proxy) if proxy is not None else None
    if failure is not None:
        return failure
    host = host_of(url)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeout(f"connecting to {host} timed out")
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        hint = " (is this a ChatHub endpoint? check the URL)" if exc.status == 404 else ""
        return ConnectError(f"{host} refused the websocket upgrade with HTTP {exc.status}{hint}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"could not reach {host}: {type(exc).__name__}")
    return None
