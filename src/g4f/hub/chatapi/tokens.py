"""Unsigned test tokens for the hub's Chat API (and the access tokens its identity platform
issues): a JWT's shape, an audience per host, an expiry. The service would refuse them."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..m365.token import unsigned_jwt
from .spec import GRAPH_AUDIENCES, WORKIQ_AUDIENCES

__all__ = ["TEST_OID", "TEST_TID", "make_chatapi_token"]

TEST_OID = "00000000-0000-4000-8000-000000000002"
TEST_TID = "00000000-0000-4000-8000-0000000000bb"
AUDIENCE_OF = {"graph": GRAPH_AUDIENCES[0], "workiq": WORKIQ_AUDIENCES[0]}


def make_chatapi_token(
    service: str = "graph",
    *,
    oid: str = TEST_OID,
    tid: str = TEST_TID,
    lifetime: float = 3600.0,
    audience: str | None = None,
    now: Callable[[], float] = time.time,
) -> str:
    """A token the hub's Chat API accepts for ``service`` (``graph`` or ``workiq``); a negative
    ``lifetime`` gives an expired one, ``audience`` another host's."""
    issued = int(now())
    return unsigned_jwt(
        {
            "aud": audience or AUDIENCE_OF[service],
            "oid": oid,
            "tid": tid,
            "iat": issued,
            "exp": issued + int(lifetime),
        }
    )
