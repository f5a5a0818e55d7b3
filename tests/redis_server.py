"""A real ``redis-server`` for the Redis store's tests: its own process, a temporary directory,
no persistence, and no TCP port at all — it listens on a unix socket in that directory, so no
two tests (or agents) can race for a port, and a restart comes back on the same address."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

__all__ = ["RedisServer"]

_MAX_SOCKET_PATH = 100
"""Characters a unix socket's path may have here (the kernel's limit is 107)."""


class RedisServer:
    """``redis-server`` on a unix socket in ``directory``; :meth:`stop` and :meth:`start` again
    on the same socket simulate an outage. :attr:`url` is the store URL that reaches it."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "the Redis store's tests need redis-server: apt-get install redis-server "
                "(.ci/run installs it)"
            )
        self.binary, self.directory = binary, directory
        place = directory
        if len(str(directory / "redis.sock")) > _MAX_SOCKET_PATH:  # a long $TMPDIR
            place = Path(tempfile.mkdtemp(prefix="redis-", dir="/tmp"))
            weakref.finalize(self, shutil.rmtree, place, True)
        self.socket = place / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                "0",  # no TCP listener
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            if self._answers():
                return self
            time.sleep(0.05)  # polling for readiness, not waiting for time to pass
        self.stop()
        raise RuntimeError(f"redis-server did not start on {self.socket}")

    def _answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1)
                sock.connect(str(self.socket))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def save(self) -> None:
        """Write a snapshot (``SAVE``) that the next :meth:`start` loads: an outage of a Redis
        that keeps its data, leases and their expiry included."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(str(self.socket))
            sock.sendall(b"SAVE\r\n")
            if not sock.recv(16).startswith(b"+OK"):
                raise RuntimeError("redis-server did not save its snapshot")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
