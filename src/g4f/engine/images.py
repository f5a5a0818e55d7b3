"""Images a user attaches to a turn: checked (type and size) before anything is uploaded. Pure.

Only bytes the caller hands over are taken — a file, bytes, or a ``data:`` URL. A remote
``http(s)`` URL is refused: this library never fetches URLs chosen by its callers.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["IMAGE_TYPES", "MAX_IMAGE_BYTES", "Image"]

IMAGE_TYPES: Mapping[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
"""The image types accepted, with their file extension."""
MAX_IMAGE_BYTES = 10 << 20
"""The largest image accepted (10 MiB, decoded)."""

_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(;[^,]*)?,(.*)", re.DOTALL)


def _sniff(data: bytes) -> str | None:
    """The image type ``data`` starts like, or ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Image:
    """An image to attach to a turn. Its ``repr`` shows type, name and size, not the bytes.

    ``ValueError`` (saying what to do) for an empty or too large image, or bytes that are not a
    PNG, JPEG, GIF or WebP image.

    >>> Image.from_data_url("data:image/png;base64," + base64.b64encode(
    ...     b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)).decode())
    Image(mime='image/png', name='image.png', size=16)
    """

    data: bytes = field(repr=False)
    mime: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("the image is empty")
        if len(self.data) > MAX_IMAGE_BYTES:
            raise ValueError(
                f"the image is {len(self.data)} bytes; at most {MAX_IMAGE_BYTES} are accepted "
                "(scale it down)"
            )
        sniffed = _sniff(self.data)
        if sniffed is None:
            raise ValueError("the image is not a PNG, JPEG, GIF or WebP image")
        if self.mime and self.mime != sniffed:
            raise ValueError(f"the image says it is {self.mime} but its bytes are {sniffed}")
        object.__setattr__(self, "mime", sniffed)
        if not self.name:
            object.__setattr__(self, "name", f"image.{IMAGE_TYPES[sniffed]}")

    def __repr__(self) -> str:
        return f"Image(mime={self.mime!r}, name={self.name!r}, size={len(self.data)})"

    @property
    def file_type(self) -> str:
        """The extension of its type (``"png"``)."""
        return IMAGE_TYPES[self.mime]

    @property
    def data_url(self) -> str:
        """The image as a ``data:`` URL (base64)."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Image:
        """The image in the file at ``path`` (``OSError`` if it cannot be read)."""
        file_path = Path(path).expanduser()
        with file_path.open("rb") as file:
            data = file.read(MAX_IMAGE_BYTES + 1)
        return cls(data, name=file_path.name)

    @classmethod
    def from_data_url(cls, url: str, name: str = "") -> Image:
        """The image in a ``data:image/…;base64,…`` URL; a remote URL is refused."""
        if url.startswith(("http://", "https://")):
            raise ValueError(
                "remote image URLs are not fetched; send the image as a data: URL "
                "(data:image/png;base64,…)"
            )
        match = _DATA_URL.fullmatch(url.strip())
        if match is None or not (match.group(2) or "").endswith(";base64"):
            raise ValueError("expected a base64 data: URL (data:image/png;base64,…)")
        mime = (match.group(1) or "").lower()
        if mime not in IMAGE_TYPES:
            raise ValueError(
                f"the image type {mime or 'none'!r} is not accepted; "
                f"use one of {', '.join(IMAGE_TYPES)}"
            )
        payload = match.group(3)
        if len(payload) > (MAX_IMAGE_BYTES + 2) // 3 * 4 + 4:
            raise ValueError(f"the image is larger than {MAX_IMAGE_BYTES} bytes (scale it down)")
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the data: URL's base64 is invalid") from None
        return cls(data, mime=mime, name=name)
