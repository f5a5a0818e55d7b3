"""What a token (or a pasted websocket URL) holds, and what is wrong with it, without showing
it: the pure half of ``g4f token`` (M365-CHATHUB.md §1)."""

from __future__ import annotations

import stat
import time
from dataclasses import dataclass
from datetime import datetime

from ...errors import NotAuthorized
from .account import DEFAULT_PLAN, Plan
from .token import AUDIENCE, EXPIRY_WARNING_SECONDS, Token, duration

__all__ = ["TokenReport", "describe_token"]

DEFAULT_HOST = "substrate.office.com"


@dataclass(frozen=True, slots=True)
class TokenReport:
    """What a token holds (never the token itself), for ``g4f token``.

    Attributes:
        user: ``upn`` / ``preferred_username`` if the token says.
        oid, tenant: the user's object id and the tenant id (the websocket path).
        audience: its ``aud``, if readable.
        expires: when it expires; ``None`` when unknown (an encrypted token).
        encrypted: a consumer account's encrypted token.
        plan: the account kind (from the pasted URL; the default for a bare token).
        plan_from_url: whether the pasted URL said it.
        host: the Chathub's host (the pasted URL's, else the default).
        problems: what is wrong, each a sentence saying what to do (empty: nothing known).
        notes: what is worth knowing but not wrong.
    """

    user: str | None
    oid: str | None
    tenant: str | None
    audience: str | None
    expires: datetime | None
    encrypted: bool
    plan: Plan
    plan_from_url: bool
    host: str
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The report as lines of text, for a terminal."""
        expiry = "encrypted: unknown" if self.encrypted else "unknown"
        if self.expires is not None:
            expiry = self.expires.isoformat(timespec="seconds")
        where = "from the pasted URL" if self.plan_from_url else "default; say --plan otherwise"
        return [
            f"user:     {self.user or '(not in the token)'}",
            f"oid:      {self.oid or '?'}",
            f"tenant:   {self.tenant or '?'}",
            f"audience: {self.audience or ('(encrypted)' if self.encrypted else '?')}",
            f"expires:  {expiry}",
            f"account:  {self.plan.value} ({where})",
            f"host:     {self.host}",
            *(f"problem:  {p}" for p in self.problems),
            *(f"note:     {n}" for n in self.notes),
        ]


def describe_token(
    text: str, *, file_mode: int | None = None, now: float | None = None
) -> TokenReport:
    """What ``text`` (a token, ``Bearer `` prefixed or not, or a pasted websocket URL) holds,
    and every problem found: unreadable, expired (how long ago), expiring within five minutes,
    a wrong audience, a token file others can read (``file_mode``: its ``st_mode``). Never
    raises for a bad token, never includes it.

    >>> report = describe_token("nonsense")
    >>> report.problems[0].startswith("the token is malformed")
    True
    """
    moment = time.time() if now is None else now
    problems: list[str] = []
    notes: list[str] = []
    if file_mode is not None and stat.S_IMODE(file_mode) & 0o077:
        problems.append(
            f"the token file is readable by others (mode {stat.S_IMODE(file_mode):04o}): "
            "chmod 600 it"
        )
    if text.strip()[:7].lower() == "bearer ":
        notes.append("the `Bearer ` prefix is not part of the token (it is stripped)")
    try:
        token = Token.read(text)
    except NotAuthorized as exc:
        problems.insert(0, exc.message)
        return TokenReport(
            None, None, None, None, None, False, DEFAULT_PLAN, False, DEFAULT_HOST, tuple(problems)
        )
    problems.extend(_problems(token, moment))
    plan = token.url.plan if token.url is not None else None
    if token.encrypted:
        notes.append("its expiry is unknown until the service refuses it")
    return TokenReport(
        user=token.user,
        oid=token.oid,
        tenant=token.tid,
        audience=token.audience,
        expires=token.expires,
        encrypted=token.encrypted,
        plan=plan or DEFAULT_PLAN,
        plan_from_url=plan is not None,
        host=token.url.host if token.url is not None else DEFAULT_HOST,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _problems(token: Token, now: float) -> list[str]:
    problems = []
    left = token.expires_in(now)
    if left is not None and left <= 0:
        expired = token.expires.isoformat(timespec="seconds") if token.expires else ""
        problems.append(f"it expired {duration(-left)} ago (at {expired}): copy a fresh one")
    elif left is not None and left < EXPIRY_WARNING_SECONDS:
        problems.append(f"it expires in {duration(left)}: copy a fresh one soon")
    if not token.encrypted and token.audience != AUDIENCE:
        problems.append(
            f"its audience is {token.audience or '(none)'!r}, not {AUDIENCE!r}: the service "
            "will likely refuse it (copy the Chathub websocket's token, not another one)"
        )
    return problems
