"""Tiny loopback proxies for tests: an HTTP forward proxy and a SOCKS5 proxy."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit


class ProxyStats:
    """What went through a proxy."""

    def __init__(self) -> None:
        self.connections = 0
        self.targets: list[str] = []
        self.upstream = bytearray()  # every byte sent from the client towards the server
        self.writers: set[asyncio.StreamWriter] = set()


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: bytearray | None = None
) -> None:
    try:
        while data := await reader.read(65536):
            if log is not None:
                log += data
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _splice(
    stats: ProxyStats,
    client_r: asyncio.StreamReader,
    client_w: asyncio.StreamWriter,
    host: str,
    port: int,
    first: bytes,
) -> None:
    upstream_r, upstream_w = await asyncio.open_connection(host, port)
    stats.writers.add(upstream_w)
    stats.upstream += first
    upstream_w.write(first)
    await asyncio.gather(_pipe(client_r, upstream_w, stats.upstream), _pipe(upstream_r, client_w))
    for w in (client_w, upstream_w):
        with contextlib.suppress(ConnectionError):
            await w.wait_closed()


async def _http(
    stats: ProxyStats, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    method, target, version = head.split(b"\r\n", 1)[0].decode().split(" ")
    if method == "CONNECT":
        host, port = target.rsplit(":", 1)
        stats.targets.append(target)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await _splice(stats, reader, writer, host, int(port), b"")
        return
    url = urlsplit(target)
    stats.targets.append(f"{url.hostname}:{url.port}")
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    rest = head.split(b"\r\n", 1)[1]
    first = f"{method} {path} {version}\r\n".encode() + rest
    await _splice(stats, reader, writer, url.hostname or "", url.port or 80, first)


async def _socks5(
    stats: ProxyStats, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    version, count = await reader.readexactly(2)
    assert version == 5
    await reader.readexactly(count)
    writer.write(b"\x05\x00")  # no authentication
    _, command, _, kind = await reader.readexactly(4)
    assert command == 1  # CONNECT
    if kind == 1:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif kind == 3:
        host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
    else:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    (port,) = struct.unpack("!H", await reader.readexactly(2))
    stats.targets.append(f"{host}:{port}")
    writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
    await _splice(stats, reader, writer, host, port, b"")


Handler = Callable[[ProxyStats, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def _serve(handler: Handler, scheme: str) -> AsyncIterator[tuple[str, ProxyStats]]:
    stats = ProxyStats()
    tasks: set[asyncio.Task[None]] = set()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats.connections += 1
        stats.writers.add(writer)
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handler(stats, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"{scheme}://127.0.0.1:{port}", stats
    finally:
        server.close()
        for writer in stats.writers:  # ends every pipe, so every handler returns
            writer.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def http_proxy() -> contextlib.AbstractAsyncContextManager[tuple[str, ProxyStats]]:
    """An HTTP forward proxy on a free loopback port: ``async with http_proxy() as (url, s)``."""
    return _serve(_http, "http")


def socks5_proxy() -> contextlib.AbstractAsyncContextManager[tuple[str, ProxyStats]]:
    """A SOCKS5 proxy (no auth) on a free loopback port."""
    return _serve(_socks5, "socks5")
