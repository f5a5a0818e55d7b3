"""A TLS hub's certificate files: the key 0600 however the file was before, its directory
0700, and a temporary directory the hub made removed when it stops."""

from __future__ import annotations

import stat
from pathlib import Path

from g4f.hub import Hub, running_hub
from g4f.hub.tls import make_certificate


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_is_0600_and_its_directory_0700_even_if_they_existed(tmp_path: Path) -> None:
    folder = tmp_path / "cert"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    (folder / "hub-key.pem").write_text("old")
    (folder / "hub-key.pem").chmod(0o644)
    files = make_certificate(folder)
    assert _mode(files.key) == 0o600 and _mode(folder) == 0o700
    assert files.key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


async def test_a_temporary_certificate_is_removed_when_the_hub_stops(tmp_path: Path) -> None:
    hub = Hub(tls=True)
    async with running_hub(hub) as url:
        assert url.startswith("https://") and hub.certificate is not None
        folder = hub.certificate.key.parent
        assert hub.certificate.key.is_file() and _mode(folder) == 0o700
    assert not folder.exists() and hub.certificate is None
    given = Hub(tls=True)
    given.make_certificate(tmp_path / "mine")
    async with running_hub(given):
        pass
    assert (tmp_path / "mine" / "hub-key.pem").is_file()  # the caller's directory is kept
