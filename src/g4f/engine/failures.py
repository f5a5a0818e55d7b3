"""What a failure to reach a server means, typed: aiohttp's and python-socks' exceptions in,
:class:`~g4f.errors.G4FError` out, naming the host or the proxy and never a credential."""

from __future__ import annotations

import aiohttp

from ..errors import ConnectError, ConnectionClosed, ConnectTimeout, G4FError, ResponseTimeout
from ..urls import host_of, redact_url

__all__ = ["connect_failure", "open_failure", "request_failure"]


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


def open_failure(exc: Exception, url: str, proxy: str | None, time_limit: float) -> Exception:
    """The typed error for a websocket that could not be opened (``exc`` itself if unknown).

    Nothing was sent yet, so every failure here is one that never reached the service.
    """
    failure = connect_failure(exc, url, proxy)
    if failure is not None:
        return failure
    if isinstance(exc, TimeoutError):
        return ConnectTimeout(
            f"the ChatHub websocket at {host_of(url)} was not opened within {time_limit:g}s "
            "(no answer to the connection or the upgrade)"
        )
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ConnectError(
            f"could not open the ChatHub websocket at {host_of(url)}: {type(exc).__name__}"
        )
    return exc


def request_failure(exc: Exception, url: str, proxy: str | None, time_limit: float) -> Exception:
    """The typed error for an HTTP request that failed (``exc`` itself if unknown).

    Past connecting, the request may have reached the service: a timeout is a
    :class:`~g4f.errors.ResponseTimeout`, a lost connection a :class:`~g4f.errors.ConnectionClosed`.
    """
    failure = connect_failure(exc, url, proxy)
    if failure is not None:
        return failure
    if isinstance(exc, TimeoutError):
        return ResponseTimeout(f"the request to {host_of(url)} timed out after {time_limit:g}s")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ConnectionClosed(f"the request to {host_of(url)} failed: {type(exc).__name__}")
    return exc
