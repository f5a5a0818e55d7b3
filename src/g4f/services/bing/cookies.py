"""The user's own Bing cookies: from a header string, a browser export, or ``$BING_COOKIES``.

Cookie values are credentials: :class:`Cookies` never shows them in its ``repr`` or ``str``, and
nothing in this package logs or writes them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ENV_COOKIES", "Cookies"]

ENV_COOKIES = "BING_COOKIES"
"""Environment variable holding a ``Cookie`` header value (``_U=…; MUID=…``)."""


class Cookies:
    """A set of cookies to send as one ``Cookie`` header.

    Example::

        cookies = Cookies.from_file("bing-cookies.json")   # or cookies.txt
        client = BingClient(cookies=cookies)
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = dict(items)

    def __repr__(self) -> str:
        return f"Cookies(names={sorted(self._items)}, values=<redacted>)"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cookies) and other._items == self._items

    __hash__ = None  # type: ignore[assignment]

    @property
    def names(self) -> list[str]:
        """The cookie names (not their values), sorted."""
        return sorted(self._items)

    def header(self) -> str:
        """The ``Cookie`` header value."""
        return "; ".join(f"{name}={value}" for name, value in self._items.items())

    @classmethod
    def from_header(cls, header: str) -> Cookies:
        """Parse ``"name=value; name2=value2"``; ``ValueError`` if a piece has no ``=``."""
        items: dict[str, str] = {}
        for piece in header.split(";"):
            piece = piece.strip()
            if not piece:
                continue
            name, sep, value = piece.partition("=")
            if not sep or not name.strip():
                raise ValueError("a cookie header must be 'name=value' pairs separated by ';'")
            items[name.strip()] = value.strip()
        return cls(items)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, domain: str = "bing.com") -> Cookies:
        """Load a browser export: the JSON list of cookie-editor extensions or ``cookies.txt``.

        Only cookies for ``domain`` (and its subdomains) are kept when the file names domains.
        """
        text = _read_text(Path(path), "a cookie export (JSON or cookies.txt)")
        stripped = text.lstrip()
        if stripped.startswith(("[", "{")):
            items = _from_json(stripped, domain)
        else:
            items = _from_netscape(text, domain)
        if not items:
            raise ValueError(f"no cookies for {domain} in {Path(path).name}")
        return cls(items)

    @classmethod
    def from_env(cls) -> Cookies | None:
        """The cookies in ``$BING_COOKIES``, or ``None`` when it is unset or empty."""
        value = os.environ.get(ENV_COOKIES, "").strip()
        return cls.from_header(value) if value else None

    @classmethod
    def coerce(cls, value: Cookies | str | Mapping[str, str] | None) -> Cookies | None:
        """A :class:`Cookies` from what a caller passed: an object, a header, a dict, or None."""
        if value is None or isinstance(value, Cookies):
            return value
        if isinstance(value, str):
            return cls.from_header(value)
        return cls(value)


def _matches(cookie_domain: str, domain: str) -> bool:
    cookie_domain = cookie_domain.lstrip(".").lower()
    return cookie_domain == domain or cookie_domain.endswith("." + domain)


def _from_json(text: str, domain: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("the cookie file is not valid JSON") from None
    if isinstance(data, dict):
        data = data.get("cookies", [data])
    if not isinstance(data, list):
        raise ValueError("a JSON cookie file must hold a list of cookies")
    items: dict[str, str] = {}
    for cookie in data:
        if not isinstance(cookie, dict) or not isinstance(cookie.get("name"), str):
            raise ValueError("each cookie in the JSON file needs a 'name' and a 'value'")
        cookie_domain = cookie.get("domain")
        if isinstance(cookie_domain, str) and not _matches(cookie_domain, domain):
            continue
        items[cookie["name"]] = str(cookie.get("value", ""))
    return items


def _from_netscape(text: str, domain: str) -> dict[str, str]:
    items: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 7:
            raise ValueError("a cookies.txt line must have 7 tab-separated fields")
        if _matches(fields[0], domain):
            items[fields[5]] = fields[6].rstrip("\r\n")
    return items


def _read_text(path: Path, what: str) -> str:
    """``path``'s text; ``ValueError`` naming the file when it is no UTF-8 text (an image
    passed by mistake), without the decoder's error (its ``object`` is the file's bytes)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        position = exc.start
    raise ValueError(
        f"{path.name} is not a text file (no UTF-8 at byte {position}); expected {what}"
    )
