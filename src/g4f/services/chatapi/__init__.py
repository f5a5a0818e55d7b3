"""Microsoft 365 Copilot's documented Chat API (M365-CHAT-API.md) as two services on one
implementation: ``graph`` (Microsoft Graph, beta) and ``workiq`` (Work IQ).

:class:`ChatApiClient` is the backend and Python client (plain HTTPS, SSE of snapshots read by
:class:`SnapshotReader` over :class:`g4f.protocol.sse.SseDecoder`); :mod:`.signin` signs in with
the user's own app registration through MSAL; :mod:`.entry` lists both in the registry.
"""

from .client import CAPABILITIES, ChatApiClient
from .snapshots import SnapshotReader
from .spec import GRAPH, HOSTS, WORKIQ, Host
from .tokens import StaticToken, TokenFile, TokenProvider

__all__ = [
    "CAPABILITIES",
    "GRAPH",
    "HOSTS",
    "WORKIQ",
    "ChatApiClient",
    "Host",
    "SnapshotReader",
    "StaticToken",
    "TokenFile",
    "TokenProvider",
]
