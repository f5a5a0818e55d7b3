"""What a failure to reach a server means, typed: aiohttp's and python-socks' exceptions in,
:class:`~g4f.errors.G4FError` out, naming the host or the proxy and never a credential."""

from __future__ import annotations

import errno

import aiohttp

from ..errors import (
    ConnectError,
    ConnectionClosed,
    ConnectTimeout,
    G4FError,
    ProtocolError,
    ResponseTimeout,
)
from ..urls import host_of, redact_url
from .redirects import CrossOriginRedirect

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
    if isinstance(exc, CrossOriginRedirect):
        return ProtocolError(
            f"{host} redirected the request to {exc.origin}; a redirect to another origin is "
            "never followed, since the request carries your credentials",
            advice="check the endpoint URL; if you trust where it points, use that URL instead",
        )
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        if exc.status == 404:  # a wrong path: trying again will not help
            return ProtocolError(
                f"not a ChatHub endpoint: {host} answered the websocket upgrade with HTTP 404",
                advice="the URL is wrong: check the endpoint URL (its host and path)",
            )
        return ConnectError(f"{host} refused the websocket upgrade with HTTP {exc.status}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _connector_failure(exc, host)
    return None


_NOT_TLS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"}
)
"""OpenSSL's reasons when the peer answered a TLS handshake with something else (plain HTTP)."""


def _connector_failure(exc: aiohttp.ClientConnectorError, host: str) -> ConnectError:
    """What a failure to connect means, in words: refused, not resolved, no TLS there, …"""
    os_error = exc.os_error
    reason = str(getattr(os_error, "reason", "") or "")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return ConnectError(
            f"the TLS certificate of {host} could not be verified ({reason or 'untrusted'})",
            advice="check the host in the URL; certificates are always verified",
        )
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        if reason.upper() in _NOT_TLS:
            return ConnectError(
                f"{host} does not speak TLS (its answer to the TLS handshake was not TLS)",
                advice="this server is not TLS — use http:// (or ws://) in the URL",
            )
        return ConnectError(f"the TLS handshake with {host} failed ({reason or 'no reason'})")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ConnectError(
            f"the host name of {host} could not be resolved",
            advice="check the host in the URL, and that this machine is online",
        )
    if os_error.errno == errno.ECONNREFUSED:
        return ConnectError(
            f"connection refused by {host}: nothing listens there",
            advice="check the port in the URL, and that the server is running",
        )
    if os_error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return ConnectError(f"{host} is unreachable from this network")
    return ConnectError(f"could not reach {host}: {os_error.strerror or type(exc).__name__}")


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
