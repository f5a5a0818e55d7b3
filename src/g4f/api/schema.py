"""The body of ``POST /v1/chat/completions``, and what its schema cannot say.

Fields clients send today are accepted; those that would change the answer and are not
honoured are refused (400), never silently ignored: see :data:`REFUSED` and
:func:`check_request`. Unknown fields are accepted (clients send new ones first).
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..openai import BadRequest

__all__ = [
    "REFUSED",
    "ChatRequest",
    "check_count",
    "check_format",
    "check_request",
    "check_unicode",
    "lone_surrogate",
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant"]  # developer: as system
    content: str | list[_Part]


class _StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``; unknown fields are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    stream_options: _StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)  # as max_tokens
    stop: str | list[str] | None = None
    # Accepted and ignored, changing nothing the caller sees: who asks, labels, the seed of a
    # service that is not deterministic anyway, the dashboard storage of OpenAI's own service,
    # the parallelism of tool calls there are none of.
    user: str | None = None
    metadata: dict[str, Any] | None = None
    store: bool | None = None
    seed: int | None = None
    parallel_tool_calls: bool | None = None
    temperature: float | None = None  # accepted and ignored: ChatHub has no such setting
    top_p: float | None = None  # accepted and ignored
    n: int | None = Field(default=None, ge=1)
    response_format: dict[str, Any] | None = None  # {"type": "text"} only
    conversation_id: str | None = None
    # Extensions for the Chat API (services that can): web grounding, and documents to read.
    g4f_search: bool = True
    g4f_files: list[str] | None = None
    # Refused when given (they promise what the service cannot do), never silently ignored:
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, Any] | None = None
    modalities: list[str] | None = None
    audio: Any = None
    prediction: Any = None
    web_search_options: Any = None
    # Refused when given (ChatHub here has no tool calls), never silently ignored:
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    tool_choice: Any = None
    function_call: Any = None


_UNSUPPORTED = ("tools", "functions", "tool_choice", "function_call")
REFUSED = {
    "logprobs": "the service reports no token log probabilities",
    "top_logprobs": "the service reports no token log probabilities",
    "logit_bias": "the service takes no token biases",
    "audio": "the service answers in text only",
    "prediction": "the service takes no predicted output",
    "web_search_options": "the service decides its web searches itself",
}
"""Fields that would change the answer and cannot be honoured: each refused (400) with why."""


def check_request(body: ChatRequest, max_messages: int) -> None:
    """What the body's schema cannot say; :class:`BadRequest` naming the field at fault."""
    for name in _UNSUPPORTED:
        if getattr(body, name) not in (None, [], "none"):
            raise BadRequest(
                f"'{name}' is not supported by this server (no tool or function calls).",
                param=name,
                code="not_supported",
            )
    for name, why in REFUSED.items():
        if getattr(body, name) not in (None, False, 0, {}):
            raise BadRequest(f"'{name}' is not supported: {why}.", param=name, code="not_supported")
    if body.modalities not in (None, [], ["text"]):
        raise BadRequest(
            "Only the text modality is supported.", param="modalities", code="not_supported"
        )
    check_format(body.response_format, "response_format")
    check_count(body.messages, max_messages)
    if body.n not in (None, 1):
        raise BadRequest("Only n=1 is supported.", param="n")
    check_unicode(body.model_dump())


def check_count(messages: Sized, max_messages: int, param: str = "messages") -> None:
    """The message-count limit (``--max-messages``) every shape applies to what it is sent:
    :class:`BadRequest` naming ``param`` when ``messages`` are more."""
    if len(messages) > max_messages:
        raise BadRequest(f"At most {max_messages} messages are accepted.", param=param)


def check_format(value: dict[str, Any] | None, param: str) -> None:
    """Refuse any answer format but plain text: the service cannot guarantee JSON."""
    kind = (value or {}).get("type", "text")
    if kind != "text":
        raise BadRequest(
            f"'{param}' of type {kind!r} is not supported: the service cannot guarantee "
            "a JSON answer (only 'text' is accepted).",
            param=param,
            code="not_supported",
        )


def check_unicode(value: Any) -> None:
    """:class:`BadRequest` naming the first string in ``value`` (a request body as parsed) that
    is not valid Unicode: JSON may carry a lone surrogate (``"\\ud800"``), UTF-8 cannot, and
    no upstream could be sent it."""
    where = lone_surrogate(value, "")
    if where is not None:
        raise BadRequest(
            "The request contains text that is not valid Unicode (a lone surrogate).",
            param=where or None,
        )


def lone_surrogate(value: Any, path: str) -> str | None:
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
        found = lone_surrogate(item, inner)
        if found is not None:
            return found
    return None
