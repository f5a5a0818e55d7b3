"""What the hub takes in ``UploadFile``'s ``FileBase64`` (M365-CHATHUB.md §6): a base64
``data:`` URL of an image whose bytes are of the type it says. Its own parser, not the
client's."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .spec import IMAGE_TYPES

__all__ = ["MAX_UPLOAD_BYTES", "Upload", "read_data_url"]

MAX_UPLOAD_BYTES = 10 << 20
"""The largest image the hub keeps (decoded)."""
_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+);base64,(.*)", re.DOTALL)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class Upload:
    """An image uploaded through ``UploadFile``."""

    conversation_id: str
    data: bytes
    file_type: str
    file_name: str


def _sniff(data: bytes) -> str | None:
    """The image type ``data`` starts like, or ``None``."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def read_data_url(url: str) -> tuple[bytes, str]:
    """The bytes and ``fileType`` (``"png"``) of the image in ``url``; ``ValueError`` saying
    what is wrong with it."""
    match = _DATA_URL.fullmatch(url.strip())
    if match is None:
        raise ValueError("expected a base64 data: URL (data:image/png;base64,…)")
    mime = match.group(1).lower()
    if mime not in IMAGE_TYPES:
        raise ValueError(f"the image type {mime!r} is not taken")
    if len(match.group(2)) > (MAX_UPLOAD_BYTES + 2) // 3 * 4 + 4:
        raise ValueError(f"the image is larger than {MAX_UPLOAD_BYTES} bytes")
    try:
        data = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the base64 is invalid") from None
    sniffed = _sniff(data)
    if sniffed != mime:
        raise ValueError(f"the data says it is {mime} but its bytes are {sniffed or 'no image'}")
    return data, IMAGE_TYPES[mime]
