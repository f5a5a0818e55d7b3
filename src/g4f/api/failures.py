"""The API's own refusals that are not the request's shape: a named thing that does not exist
(404) or whose conversation moved on past it, and a conversation busy with another turn (429).
Each shape's error table says how it answers them (:mod:`g4f.api.errors`,
:mod:`g4f.api.shapes.messages`)."""

from __future__ import annotations

from ..errors import BadRequest

__all__ = ["ConversationBusy", "NotFound", "TurnMoved"]


class NotFound(BadRequest):
    """What the request names (a conversation, a stored response) is unknown or expired."""

    def __init__(self, message: str, *, param: str | None = None, code: str = "not_found"):
        super().__init__(message, param=param, code=code)


class TurnMoved(NotFound):
    """The conversation is no longer at the turn the request continues from (another turn ran
    since): what it named is not the conversation's latest state."""

    def __init__(self, message: str, *, param: str | None = None, code: str = "turn_moved"):
        super().__init__(message, param=param, code=code)


class ConversationBusy(BadRequest):
    """The conversation is running another turn; retry when it has finished."""

    def __init__(self, message: str, *, param: str | None = None, code: str = "conversation_busy"):
        super().__init__(message, param=param, code=code)
