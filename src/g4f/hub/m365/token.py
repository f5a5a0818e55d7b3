"""The hub's reading of Microsoft 365 Copilot tokens (M365-CHATHUB.md §1), and the unsigned
test tokens it accepts. Its own reader, not the client's: the two check each other."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from .spec import AUDIENCE, SCOPES

__all__ = [
    "TEST_OID",
    "TEST_TID",
    "b64url",
    "claims_of",
    "encrypted_claims_of",
    "ids_of",
    "make_encrypted_test_token",
    "make_test_token",
    "unsigned_jwt",
]

TEST_OID = "00000000-0000-4000-8000-000000000001"
"""The user (``oid``) of :func:`make_test_token`'s tokens unless told otherwise."""
TEST_TID = "00000000-0000-4000-8000-0000000000aa"
"""The tenant (``tid``) of :func:`make_test_token`'s tokens unless told otherwise."""


_JWE_HEADER = {"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "hub-test"}


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_UNSIGNED = b64url(b"hub-test-unsigned:")


def _b64url(data: Mapping[str, Any]) -> str:
    return b64url(json.dumps(dict(data), separators=(",", ":")).encode())


def unsigned_jwt(claims: Mapping[str, Any]) -> str:
    """A JWT of ``claims`` (``alg: none``) with a signature no one could check, base64url
    throughout; the hub's test tokens and the tokens its identity platform issues."""
    return f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}.{_UNSIGNED}"


def make_test_token(
    *,
    oid: str = TEST_OID,
    tid: str = TEST_TID,
    lifetime: float = 3600.0,
    audience: str = AUDIENCE,
    now: Callable[[], float] = time.time,
) -> str:
    """An unsigned token of the Chathub's shape, for the hub only (the service would refuse it).

    It is base64url throughout (``A–Z a–z 0–9 - _``, no ``+ / =``), as real tokens are, so a
    client that sends it raw in the URL (PyRIT does) works as with the service. A negative
    ``lifetime`` gives an expired token.

    >>> claims_of(make_test_token())["oid"] == TEST_OID
    True
    """
    issued = int(now())
    return unsigned_jwt(
        {
            "aud": audience,
            "oid": oid,
            "tid": tid,
            "iat": issued,
            "exp": issued + int(lifetime),
            "scp": SCOPES,
        }
    )


def make_encrypted_test_token(
    *,
    oid: str = TEST_OID,
    tid: str = TEST_TID,
    lifetime: float = 3600.0,
    now: Callable[[], float] = time.time,
) -> str:
    """A consumer-shaped test token (five segments, as a JWE): a client cannot read it, the
    hub can (its "ciphertext" is the claims, base64url) — so it is good only with the path
    ``{oid}@{tid}``, as the service's encrypted tokens are (M365-CHATHUB.md §1)."""
    issued = int(now())
    claims = _b64url({"oid": oid, "tid": tid, "exp": issued + int(lifetime), "iat": issued})
    key, iv = b64url(b"hub-test-key"), b64url(b"hub-iv")
    return f"{_b64url(_JWE_HEADER)}.{key}.{iv}.{claims}.{_UNSIGNED}"


def encrypted_claims_of(token: str) -> dict[str, Any]:
    """The claims inside one of :func:`make_encrypted_test_token`'s tokens; ``ValueError``
    for anything else (the hub cannot read the service's)."""
    parts = token.split(".")
    if len(parts) != 5 or not all(parts):
        raise ValueError("malformed token: not five dot-separated parts")
    return claims_of(f"{parts[0]}.{parts[3]}.{parts[4]}")


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a JWT (three dot-separated parts), its signature unchecked — the hub
    cannot check one either; ``ValueError`` saying what is malformed."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise ValueError("malformed token: not three dot-separated parts")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, RecursionError):
        raise ValueError("malformed token: its claims cannot be read") from None
    if not isinstance(claims, dict):
        raise ValueError("malformed token: its claims are not an object")
    return claims


def ids_of(token: str | None) -> tuple[str, str]:
    """The ``oid`` and ``tid`` a token claims (empty when it claims none)."""
    try:
        token = token or ""
        claims = encrypted_claims_of(token) if token.count(".") == 4 else claims_of(token)
    except ValueError:
        return "", ""
    return str(claims.get("oid", "")), str(claims.get("tid", ""))
