"""A conversation kept by the server: its ids, signatures and turn counter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .constants import Style

__all__ = ["Conversation"]


@dataclass(slots=True)
class Conversation:
    """One server-side conversation.

    ``turn`` is the next invocation id ("0" for the first turn; a stopped or failed turn used one
    too); ``answered`` counts the turns that were answered to the end. ``tone`` is the model of a
    service that names models by tone (Microsoft 365 Copilot), ``None`` for Bing's styles.
    Signatures are credentials the service issued for this conversation: they are left out of
    ``repr``.

    Example::

        conversation = await client.create_conversation()
        saved = conversation.to_dict()          # JSON-able
        resumed = Conversation.from_dict(saved)
    """

    conversation_id: str
    client_id: str
    signature: str | None = field(default=None, repr=False)
    encrypted_signature: str | None = field(default=None, repr=False)
    style: Style = Style.PRECISE
    turn: int = 0
    expiry_time: str | None = None
    answered: int = 0
    tone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able dict, for saving and resuming in another process."""
        return {
            "conversation_id": self.conversation_id,
            "client_id": self.client_id,
            "signature": self.signature,
            "encrypted_signature": self.encrypted_signature,
            "style": self.style.value,
            "turn": self.turn,
            "expiry_time": self.expiry_time,
            "answered": self.answered,
            "tone": self.tone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        """Rebuild a conversation saved with :meth:`to_dict`; ``ValueError`` if it is not one."""
        try:
            conversation_id = data["conversation_id"]
            client_id = data["client_id"]
        except (KeyError, TypeError):
            raise ValueError(
                "not a saved conversation: conversation_id/client_id missing"
            ) from None
        if not isinstance(conversation_id, str) or not isinstance(client_id, str):
            raise ValueError("not a saved conversation: ids must be strings")
        turn, answered = data.get("turn", 0), data.get("answered", 0)
        for name, value in (("turn", turn), ("answered", answered)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"not a saved conversation: {name} must be a whole number >= 0")
        return cls(
            conversation_id=conversation_id,
            client_id=client_id,
            signature=data.get("signature"),
            encrypted_signature=data.get("encrypted_signature"),
            style=Style.parse(data.get("style") or Style.PRECISE),
            turn=turn,
            expiry_time=data.get("expiry_time"),
            answered=answered,
            tone=data.get("tone") if isinstance(data.get("tone"), str) else None,
        )
