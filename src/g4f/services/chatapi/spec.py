"""The Chat API's literals (M365-CHAT-API.md): hosts, scopes, paths and field names.

One contract, two hosts: Microsoft Graph (preview) and Work IQ (generally available).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "CONVERSATIONS",
    "GRAPH",
    "GRAPH_SCOPES",
    "HOSTS",
    "INTERMEDIATE",
    "REFUSED_STATE",
    "WORKIQ",
    "WORKIQ_SCOPES",
    "Host",
]

GRAPH_SCOPES: tuple[str, ...] = tuple(
    f"https://graph.microsoft.com/{name}"
    for name in (
        "Sites.Read.All",
        "Mail.Read",
        "People.Read.All",
        "OnlineMeetingTranscript.Read.All",
        "Chat.Read",
        "ChannelMessage.Read.All",
        "ExternalItem.Read.All",
    )
)
"""The seven delegated Graph permissions the Chat API requires (all of them)."""
WORKIQ_SCOPES: tuple[str, ...] = ("api://workiq.svc.cloud.microsoft/.default",)
"""Work IQ's scope (the delegated ``WorkIQAgent.Ask``, consented by an admin)."""

CONVERSATIONS = "/conversations"
INTERMEDIATE = "Intermediate Conversation Update"
"""The ``displayName`` of a streamed snapshot before the last."""
REFUSED_STATE = "disengagedForRai"
"""The conversation ``state`` of a declined prompt."""


@dataclass(frozen=True, slots=True)
class Host:
    """One host of the Chat API.

    Attributes:
        name: the service's name in the registry.
        title: the host in words.
        base_url: where its paths start.
        scopes: what a token for it is asked for.
        env_url: the environment variable naming another server (e.g. the hub).
        env_token_file: the environment variable naming a token file.
    """

    name: str
    title: str
    base_url: str
    scopes: tuple[str, ...]
    env_url: str
    env_token_file: str

    def chat_path(self, conversation_id: str, *, stream: bool) -> str:
        """The path of one turn in ``conversation_id`` (the docs' short form)."""
        return f"{CONVERSATIONS}/{conversation_id}/{'chatOverStream' if stream else 'chat'}"


GRAPH = Host(
    "graph",
    "Microsoft 365 Copilot's Chat API on Microsoft Graph (beta)",
    "https://graph.microsoft.com/beta/copilot",
    GRAPH_SCOPES,
    "G4F_GRAPH_URL",
    "G4F_GRAPH_TOKEN_FILE",
)
WORKIQ = Host(
    "workiq",
    "Microsoft 365 Copilot's Chat API on Work IQ",
    "https://workiq.svc.cloud.microsoft/rest",
    WORKIQ_SCOPES,
    "G4F_WORKIQ_URL",
    "G4F_WORKIQ_TOKEN_FILE",
)
HOSTS: Mapping[str, Host] = MappingProxyType({GRAPH.name: GRAPH, WORKIQ.name: WORKIQ})
"""The hosts by service name."""
