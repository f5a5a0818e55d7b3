"""The body of ``POST /v1/chat/completions``, and what its schema cannot say."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..openai import BadRequest

__all__ = ["ChatRequest", "check_request"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant"]
    content: str | list[_Part]


class ChatRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    user: str | None = None
    temperature: float | None = None  # accepted and ignored: ChatHub has no such setting
    top_p: float | None = None  # accepted and ignored
    n: int | None = Field(default=None, ge=1)
    conversation_id: str | None = None
    # Extensions for the Chat API (services that can): web grounding, and documents to read.
    g4f_search: bool = True
    g4f_files: list[str] | None = None
    # Refused when given (ChatHub here has no tool calls), never silently ignored:
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    tool_choice: Any = None
    function_call: Any = None


_UNSUPPORTED = ("tools", "functions", "tool_choice", "function_call")


def check_request(body: ChatRequest, max_messages: int) -> None:
    """What the body's schema cannot say; :class:`BadRequest` naming the field at fault."""
    for name in _UNSUPPORTED:
        if getattr(body, name) not in (None, [], "none"):
            raise BadRequest(
                f"'{name}' is not supported by this server (no tool or function calls).",
                param=name,
                code="not_supported",
            )
    if len(body.messages) > max_messages:
        raise BadRequest(f"At most {max_messages} messages are accepted.", param="messages")
    if body.n not in (None, 1):
        raise BadRequest("Only n=1 is supported.", param="n")
    where = _lone_surrogate(body.model_dump(), "")
    if where is not None:
        raise BadRequest(
            "The request contains text that is not valid Unicode (a lone surrogate).",
            param=where or None,
        )


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The path of the first string in ``value`` that UTF-8 cannot encode, or ``None``."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        inner = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        found = _lone_surrogate(item, inner)
        if found is not None:
            return found
    return None
