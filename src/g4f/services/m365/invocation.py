"""The records and the websocket query of one Microsoft 365 Copilot turn, as the browser sends
them in 2026 (M365-CHATHUB.md §2–§3). Pure: ids and times are given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ...protocol.constants import RecordType
from ...protocol.framing import Record
from .account import DEFAULT_PLAN, PLAN_PARAMS, Plan

__all__ = [
    "ALLOWED_MESSAGE_TYPES",
    "CLIENT_INFO",
    "OPTIONS_SETS",
    "SOURCE",
    "build_m365_invocation",
    "chathub_query",
    "metrics_record",
    "stop_record",
]

SOURCE = "officeweb"
OPTIONS_SETS = (
    "search_result_progress_messages_with_search_queries",
    "enable_batch_token_processing",
    "cwc_flux_v3",
    "flux_v3_references",
)
"""§3: the start of the browser's ``optionsSets`` (the reference shortens the rest)."""
ALLOWED_MESSAGE_TYPES = (
    "Chat",
    "Suggestion",
    "InternalSearchQuery",
    "InternalSearchResult",
    "Disengaged",
    "InternalLoaderMessage",
    "Progress",
    "RenderCardRequest",
    "SearchQuery",
    "EndOfRequest",
    "ReferencesListComplete",
    "GeneratedCode",
)
CLIENT_INFO: Mapping[str, str] = {
    "clientPlatform": "mcmcopilot-web",
    "clientAppName": "Office",
    "clientEntrypoint": "mcmcopilot-officeweb",
    "clientSessionId": "",  # the session id, filled per turn
    "ProductCategory": "Chat",
    "clientAppType": "Web",
    "productEntryPoint": "ChatPanel",
    "deviceOS": "Linux",
    "deviceType": "Desktop",
    "clientPlatformVersion": "Unknown",
}
"""§3: the browser's ten ``clientInfo`` keys."""
ENTITY_ANNOTATION_TYPES = ("People", "File", "Event", "Email", "TeamsMessage")
WEB_SEARCH_PLUGIN: Mapping[str, str] = MappingProxyType(
    {"Id": "BingWebSearch", "Source": "BuiltIn"}
)
METRICS_STAMPS = ("ConnectionStart", "UserInputStart", "ConnectionEstablished", "UserInputSubmit")
_PER_CONNECTION = ("chatsessionid", "clientrequestid", "xroutingparametersessionkey")
_REPLACED = frozenset({*_PER_CONNECTION, "x-sessionid", "conversationid", "access_token"})


def _message(prompt: str, request_id: str, annotations: Sequence[Mapping[str, Any]]) -> Record:
    return {
        "author": "user",
        "inputMethod": "Keyboard",
        "text": prompt,
        "entityAnnotationTypes": list(ENTITY_ANNOTATION_TYPES),
        "requestId": request_id,
        "locationInfo": {"timeZoneOffset": 0, "timeZone": "UTC"},
        "locale": "en-us",
        "messageType": "Chat",
        "experienceType": "Default",
        "adaptiveCards": [],
        "clientPreferences": {},
        "connectedFederatedConnections": ["dummyId"],
        "messageAnnotations": [dict(a) for a in annotations],
    }


def build_m365_invocation(
    prompt: str,
    *,
    conversation_id: str,
    session_id: str,
    turn_id: str,
    tone: str = "Magic",
    search: bool = True,
    annotations: Sequence[Mapping[str, Any]] = (),
) -> Record:
    """The type-4 ``chat`` invocation of one turn, key by key as §3's browser invocation, plus
    ``conversationId`` and ``productThreadType`` (which clients found needed).

    ``turn_id`` is the turn's one fresh id: ``clientCorrelationId``, ``traceId`` and
    ``message.requestId`` (and the URL's ``chatsessionid``). Later turns send only the new text.

    >>> record = build_m365_invocation("Hi", conversation_id="c", session_id="s", turn_id="t")
    >>> argument = record["arguments"][0]
    >>> argument["tone"], argument["message"]["text"], argument["traceId"]
    ('Magic', 'Hi', 't')
    """
    argument: dict[str, Any] = {
        "source": SOURCE,
        "clientCorrelationId": turn_id,
        "sessionId": session_id,
        "traceId": turn_id,
        "optionsSets": list(OPTIONS_SETS),
        "streamingMode": "ConciseWithPadding",
        "options": {},
        "extraExtensionParameters": {},
        "allowedMessageTypes": list(ALLOWED_MESSAGE_TYPES),
        "sliceIds": [],
        "threadLevelGptId": {},
        "isStartOfSession": False,
        "clientInfo": {**CLIENT_INFO, "clientSessionId": session_id},
        "message": _message(prompt, turn_id, annotations),
        "plugins": [dict(WEB_SEARCH_PLUGIN)] if search else [],
        "isSbsSupported": True,
        "tone": tone,
        "renderReferencesBehindEOS": True,
        "disconnectBehavior": "continue",
        "conversationId": conversation_id,
        "productThreadType": "Office",
    }
    return {
        "type": int(RecordType.STREAM_INVOCATION),
        "target": "chat",
        "invocationId": "0",
        "arguments": [argument],
    }


def metrics_record(connection_start: str, submitted: str) -> Record:
    """The ``Metrics`` record sent in the invocation's websocket message (§3), its four
    timestamps ISO times: the connection's start and established, the input's start and
    submission."""
    times = (connection_start, connection_start, submitted, submitted)
    return {
        "type": int(RecordType.INVOCATION),
        "target": "Metrics",
        "arguments": [{"Timestamps": dict(zip(METRICS_STAMPS, times, strict=True))}],
    }


def stop_record() -> Record:
    """What stops a streaming answer (M365-CHATHUB.md §4)."""
    return {
        "type": int(RecordType.INVOCATION),
        "target": "stop",
        "invocationId": "1",
        "arguments": [{}],
    }


def chathub_query(
    *,
    connection_id: str,
    session_id: str,
    conversation_id: str,
    token: str,
    plan: Plan = DEFAULT_PLAN,
    pasted: Sequence[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """The websocket's query parameters (§2), decoded, in the browser's order.

    With the query of a URL the user pasted, its parameters are kept (they say the account
    kind, variants, …) and only the per-connection ids, the session, the conversation and the
    token replaced; otherwise the browser's parameters for ``plan``.
    """
    fresh = [
        ("chatsessionid", connection_id),
        ("clientrequestid", connection_id),
        ("XRoutingParameterSessionKey", connection_id),
        ("X-SessionId", session_id),
        ("ConversationId", conversation_id),
        ("access_token", token),
    ]
    if pasted is not None:
        kept = [(n, v) for n, v in pasted if n.lower() not in _REPLACED and n != "ClientRequestId"]
        return [*fresh, *kept]
    return [
        *fresh,
        ("source", f'"{SOURCE}"'),
        ("product", "Office"),
        ("agentHost", "Bizchat.FullScreen"),
        *PLAN_PARAMS[plan].query(),
    ]
