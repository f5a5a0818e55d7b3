"""Microsoft 365 Copilot's kinds of account (M365-CHATHUB.md §2) and the websocket URL a user
copies from their browser: what each account sends in the query, and how a pasted URL is read.
Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, unquote, urlsplit

__all__ = [
    "CHATHUB_PATH",
    "DEFAULT_PLAN",
    "HOSTS",
    "PLAN_PARAMS",
    "ChathubUrl",
    "Plan",
    "PlanParams",
    "check_plan",
    "parse_chathub_url",
    "plan_of_query",
]

CHATHUB_PATH = "/m365Copilot/Chathub/{oid}@{tid}"
HOSTS = ("substrate.office.com", "substrate.svc.cloud.microsoft")
"""§2: the Chathub's two hosts in 2026 browser captures; both accept connections."""


class Plan(StrEnum):
    """The kind of account, which the service reads from four query parameters (§2)."""

    WORK = "work"
    """A work account with the Copilot Chat included in Microsoft 365 (no extra licence): what
    most users have, and the default."""
    SCHOOL = "school"
    """A school account with the included Copilot Chat (``isEdu=true``)."""
    PREMIUM = "premium"
    """A work or school account with a paid Microsoft 365 Copilot licence."""
    CONSUMER = "consumer"
    """A consumer Microsoft 365 plan that includes Copilot (its token is encrypted)."""


@dataclass(frozen=True, slots=True)
class PlanParams:
    """The query parameters (and upload ``X-Scenario``) of one kind of account."""

    license_type: str
    agent: str
    scenario: str
    is_edu: bool

    def query(self) -> list[tuple[str, str]]:
        """``licenseType``, ``agent``, ``scenario``, ``isEdu``, in the browser's order."""
        return [
            ("licenseType", self.license_type),
            ("agent", self.agent),
            ("scenario", self.scenario),
            ("isEdu", "true" if self.is_edu else "false"),
        ]


PLAN_PARAMS: Mapping[Plan, PlanParams] = MappingProxyType(
    {
        Plan.WORK: PlanParams("Starter", "web", "OfficeWebIncludedCopilot", False),
        Plan.SCHOOL: PlanParams("Starter", "web", "OfficeWebIncludedCopilot", True),
        Plan.PREMIUM: PlanParams("Premium", "work", "officeweb", False),
        Plan.CONSUMER: PlanParams("Starter", "web", "OfficeWebPaidConsumerCopilot", False),
    }
)
"""§2's table: each kind of account's parameters."""
DEFAULT_PLAN = Plan.WORK


def check_plan(plan: str | Plan) -> Plan:
    """``plan`` as a :class:`Plan`; ``ValueError`` listing the kinds for anything else."""
    try:
        return Plan(str(plan).strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in Plan)
        raise ValueError(f"unknown account kind {plan!r}; known: {known}") from None


def plan_of_query(query: list[tuple[str, str]]) -> Plan | None:
    """The kind of account a browser's query says, or ``None`` when it says none."""
    values = {name.lower(): value for name, value in query}
    scenario, edu = values.get("scenario"), values.get("isedu", "").lower() == "true"
    if scenario is None and "licensetype" not in values:
        return None
    license_type = values.get("licensetype")
    for plan, params in PLAN_PARAMS.items():
        same = params.scenario == scenario and params.is_edu == edu
        if same and license_type in (None, params.license_type):
            return plan
    return Plan.PREMIUM if values.get("licensetype") == "Premium" else None


@dataclass(frozen=True, slots=True)
class ChathubUrl:
    """A Chathub websocket URL as copied from the browser. Its ``repr`` hides the token.

    Attributes:
        origin: ``https://host`` (``http://`` for ``ws://``), the service's base URL.
        oid, tid: the path's user and tenant.
        token: the ``access_token`` parameter, decoded (a credential).
        query: the other parameters, decoded, in their order (the account kind among them).
    """

    origin: str
    oid: str
    tid: str
    token: str
    query: tuple[tuple[str, str], ...]

    def __repr__(self) -> str:
        return f"ChathubUrl({self.origin!r}, {self.oid}@{self.tid}, <token redacted>)"

    @property
    def host(self) -> str:
        """The host the URL names."""
        return urlsplit(self.origin).netloc

    @property
    def plan(self) -> Plan | None:
        """The kind of account its query says."""
        return plan_of_query(list(self.query))


def parse_chathub_url(text: str) -> ChathubUrl:
    """Read a pasted Chathub websocket URL (``wss://…/m365Copilot/Chathub/{oid}@{tid}?…``);
    ``ValueError`` saying what is missing (never quoting the URL: it holds the token).

    >>> url = parse_chathub_url("wss://substrate.office.com/m365Copilot/ChatHub/u@t"
    ...                         "?access_token=a.b.c&licenseType=Starter")
    >>> url.origin, url.oid, url.tid, url.token, url.query
    ('https://substrate.office.com', 'u', 't', 'a.b.c', (('licenseType', 'Starter'),))
    """
    parts = urlsplit(text.strip())
    scheme = {"wss": "https", "https": "https", "ws": "http", "http": "http"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError("the pasted URL is not a wss:// (or https://) URL")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 3 or [s.lower() for s in segments[:2]] != ["m365copilot", "chathub"]:
        raise ValueError("the pasted URL is not the Chathub's (/m365Copilot/Chathub/oid@tid)")
    oid, at, tid = unquote(segments[2]).partition("@")
    if not at or not oid or not tid:
        raise ValueError("the pasted URL's path lacks the user and tenant (oid@tid)")
    token, query = "", []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() == "access_token":
            token = value.strip()
        else:
            query.append((name, value))
    if not token:
        raise ValueError("the pasted URL has no access_token parameter")
    return ChathubUrl(f"{scheme}://{parts.netloc}", oid, tid, token, tuple(query))


def encode_query(items: list[tuple[str, str]]) -> str:
    """``name=value&…``, each value percent-encoded (the token is base64url, kept intact)."""
    return "&".join(f"{quote(n, safe='-_.')}={quote(v, safe='-_.')}" for n, v in items)
