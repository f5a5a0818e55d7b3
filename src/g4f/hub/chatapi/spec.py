"""The Chat API's literals as the hub spells them, from M365-CHAT-API.md (not from the client:
the two check each other)."""

from __future__ import annotations

__all__ = [
    "BASES",
    "GRAPH_AUDIENCES",
    "GRAPH_BASE",
    "INTERMEDIATE",
    "OPERATIONS",
    "REFUSED_STATE",
    "WORKIQ_AUDIENCES",
    "WORKIQ_BASES",
]

GRAPH_BASE = "/beta/copilot"
WORKIQ_BASES = ("/rest", "/rest/beta")
GRAPH_AUDIENCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
WORKIQ_AUDIENCES = ("api://workiq.svc.cloud.microsoft", "fdcc1f02-fc51-4226-8753-f668596af7f7")
GRAPH, WORKIQ = "graph", "workiq"
BASES: dict[str, tuple[str, tuple[str, ...]]] = {
    GRAPH_BASE: (GRAPH, GRAPH_AUDIENCES),
    **{base: (WORKIQ, WORKIQ_AUDIENCES) for base in WORKIQ_BASES},
}
"""Each base path: the host it stands for and the token audiences it accepts."""
OPERATIONS = {
    "chat": False,
    "chatOverStream": True,
    "microsoft.graph.copilot.chat": False,
    "microsoft.graph.copilot.chatOverStream": True,
}
"""A turn's path segment (the docs' short form and the SDK's namespaced one): streamed or not."""
INTERMEDIATE = "Intermediate Conversation Update"
REFUSED_STATE = "disengagedForRai"
ODATA_CONTEXT = "https://graph.microsoft.com/beta/$metadata#microsoft.graph.copilotConversation"
MESSAGE_TYPE = "#microsoft.graph.copilotConversationResponseMessage"
SENSITIVITY_LABEL = {
    key: None
    for key in ("sensitivityLabelId", "displayName", "tooltip", "priority", "color", "isEncrypted")
}
GRAPH_SCOPES = (
    "Sites.Read.All",
    "Mail.Read",
    "People.Read.All",
    "OnlineMeetingTranscript.Read.All",
    "Chat.Read",
    "ChannelMessage.Read.All",
    "ExternalItem.Read.All",
)
IC3_FAILURE = "Got Non-2xx response from IC3. Status = 500"
PUBLIC_CLIENT_OFF = (
    "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' "
    "or 'client_secret'."
)
