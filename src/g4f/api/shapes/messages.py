"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens``: Anthropic's Messages API over
the shared turn runner (:mod:`g4f.api.turns`), with its errors in Anthropic's shape
(``{"type": "error", "error": {"type", "message"}}``, :data:`ANTHROPIC_ERRORS`).

A request carries the whole history, as Anthropic's API is stateless. The server keeps, per
answered history, a record naming the upstream conversation that reached it (keyed by a hash of
the service, the model, the system prompt and the messages): a request whose history extends
one it answered continues that conversation with only its last message; any other history
starts a new conversation, the earlier messages folded into its context.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ... import errors
from ...engine.backend import Backend
from ...openai import CompletionRequest, Part, estimate_tokens, whole_text
from ..errors import failed_midway, internal_message
from ..failures import ConversationBusy, NotFound
from ..middleware import anthropic_error
from ..schema import check_count, check_unicode
from ..store import ResponseRecord
from ..turns import OPTION_NAMES, Turn, TurnRunner, collect, streamed

__all__ = ["ANTHROPIC_ERRORS", "AnthropicError", "CountRequest", "Messages", "MessagesRequest"]

log = logging.getLogger(__name__)

_TOOLS_REFUSED = "Tool use is not supported by the service."


@dataclass(frozen=True, slots=True)
class AnthropicError:
    """One class's answer: the HTTP status and Anthropic's error ``type``."""

    status: int
    type: str


_API = AnthropicError(500, "api_error")
ANTHROPIC_ERRORS: Mapping[type[errors.G4FError], AnthropicError] = MappingProxyType(
    {
        errors.G4FError: _API,  # the upstream failed: Anthropic's own failure is an api_error
        errors.TimeoutException: AnthropicError(504, "timeout_error"),
        errors.RateLimited: AnthropicError(429, "rate_limit_error"),
        errors.Busy: AnthropicError(529, "overloaded_error"),
        errors.ServerError: AnthropicError(529, "overloaded_error"),
        errors.Refused: AnthropicError(400, "invalid_request_error"),
        errors.UnknownTone: AnthropicError(404, "not_found_error"),
        errors.BadRequest: AnthropicError(400, "invalid_request_error"),
        errors.UnknownModel: AnthropicError(404, "not_found_error"),
        NotFound: AnthropicError(404, "not_found_error"),
        ConversationBusy: AnthropicError(429, "rate_limit_error"),
        errors.StoreError: _API,
        errors.StoreUnavailable: AnthropicError(529, "overloaded_error"),
    }
)
"""Anthropic's status and error type per error class, read along the class's MRO (as
:data:`g4f.api.errors.OPENAI_ERRORS` is for OpenAI's shapes)."""


def _message_of(error: errors.G4FError) -> str:
    if isinstance(error, errors.BadRequest):
        return f"{error.param}: {error.message}" if error.param else error.message
    return str(error)


def error_response(error: errors.G4FError) -> JSONResponse:
    """The response for ``error`` before anything was streamed, in Anthropic's shape."""
    entry = errors.lookup(ANTHROPIC_ERRORS, error)
    if isinstance(error, errors.StoreError):
        log.warning("conversation store: %s", error)
    headers = {}
    if entry.status == 429 and error.retry_after is not None:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    return anthropic_error(entry.status, _message_of(error), entry.type, headers or None)


def error_event(error: BaseException) -> bytes:
    """The ``error`` event that ends a stream that failed after it began."""
    if isinstance(error, errors.G4FError):
        kind, message = errors.lookup(ANTHROPIC_ERRORS, error).type, _message_of(error)
    else:
        kind, message = "api_error", internal_message(error)
    data = json.dumps({"type": "error", "error": {"type": kind, "message": message}})
    return f"event: error\ndata: {data}\n\n".encode()


class CountRequest(BaseModel):
    """The body of ``POST /v1/messages/count_tokens``; unknown fields are accepted."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[dict[str, Any]] = Field(min_length=1)
    system: str | list[dict[str, Any]] | None = None
    tools: list[Any] | None = None
    tool_choice: Any = None
    thinking: dict[str, Any] | None = None


class MessagesRequest(CountRequest):
    """The body of ``POST /v1/messages``: ``max_tokens`` is required, as Anthropic requires."""

    max_tokens: int = Field(ge=1)
    stop_sequences: list[str] | None = None
    stream: bool = False
    metadata: dict[str, Any] | None = None
    # Extensions for the Chat API (services that can; refused with 400 by the others): web
    # grounding on or off, and SharePoint/OneDrive documents to read — as in Chat Completions.
    g4f_search: bool = True
    g4f_files: list[str] | None = None
    # Accepted and ignored: the service has no such settings.
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None


def _check(body: CountRequest, max_messages: int) -> None:
    if body.tools:
        raise errors.BadRequest(_TOOLS_REFUSED, param="tools", code="not_supported")
    if body.tool_choice not in (None, {"type": "none"}, {"type": "auto"}):
        raise errors.BadRequest(_TOOLS_REFUSED, param="tool_choice", code="not_supported")
    if body.thinking is not None and body.thinking.get("type") != "disabled":
        raise errors.BadRequest(
            "Extended thinking is not supported by the service.", param="thinking"
        )
    check_count(body.messages, max_messages)
    check_unicode(body.model_dump())


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    """Anthropic's content (a string or blocks) as Chat Completions' parts."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise errors.BadRequest("Content must be a string or a list of blocks.", param=where)
    parts: list[dict[str, Any]] = []
    for number, block in enumerate(content):
        kind = block.get("type") if isinstance(block, Mapping) else None
        source = block.get("source") if isinstance(block, Mapping) else None
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text") or "")})
        elif kind == "image" and isinstance(source, Mapping) and source.get("type") == "base64":
            url = f"data:{source.get('media_type')};base64,{source.get('data')}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        elif kind in ("tool_use", "tool_result", "server_tool_use"):
            raise errors.BadRequest(_TOOLS_REFUSED, param=f"{where}[{number}]")
        elif kind in ("thinking", "redacted_thinking"):
            continue  # an echo of thinking there was none of: nothing to fold
        else:
            raise errors.BadRequest(
                "Only text blocks and base64 image blocks are supported.",
                param=f"{where}[{number}]",
            )
    return parts


def chat_messages(body: CountRequest) -> list[dict[str, Any]]:
    """``system`` and ``messages`` as Chat Completions' messages."""
    found: list[dict[str, Any]] = []
    if body.system:
        system = _blocks(body.system, "system")
        found.append({"role": "system", "content": "".join(p.get("text", "") for p in system)})
    for index, message in enumerate(body.messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise errors.BadRequest(
                "A message's role is 'user' or 'assistant'.", param=f"messages[{index}].role"
            )
        found.append(
            {"role": role, "content": _blocks(message.get("content"), f"messages[{index}].content")}
        )
    return found


def history_key(service: str, model: str, messages: list[dict[str, Any]]) -> str:
    """The record id of a history: a hash of the service, the model and the messages (each's
    role and its parts, adjacent text parts joined — however a client splits them)."""
    canon: list[Any] = [service, model]
    for message in messages:
        content = message["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        joined: list[Any] = []
        for part in parts:
            if part["type"] == "text" and joined and isinstance(joined[-1], str):
                joined[-1] += part["text"]
            else:
                joined.append(part["text"] if part["type"] == "text" else part)
        canon.append([message["role"], joined])
    digest = hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()
    return "msgs_" + digest


@dataclass(frozen=True, slots=True)
class _Answer:
    id: str
    model: str
    input_tokens: int

    def message(self, parts: list[Part]) -> dict[str, Any]:
        """The non-streamed ``message`` object."""
        last = parts[-1] if parts else Part()
        text = whole_text(parts)
        reason, sequence = _stop_reason(last)
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": reason,
            "stop_sequence": sequence,
            "usage": self.usage(estimate_tokens(text)),
        }

    def usage(self, output_tokens: int) -> dict[str, int]:
        """Estimated usage (:func:`g4f.openai.estimate_tokens`)."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }


def _stop_reason(last: Part) -> tuple[str, str | None]:
    if last.finish_reason == "content_filter":
        return "refusal", None
    if last.finish_reason == "length":
        if last.stop_sequence is not None:
            return "stop_sequence", last.stop_sequence
        return "max_tokens", None
    return "end_turn", None


class Messages:
    """The Messages API handler of one app, over the app's turn runner."""

    def __init__(self, runner: TurnRunner) -> None:
        self._runner = runner

    async def count_tokens(self, body: CountRequest) -> Response:
        """``{"input_tokens": N}``: the estimate the answer's usage would give."""
        try:
            _check(body, self._runner.max_messages)
            request = self._request(body, chat_messages(body), None)
        except errors.G4FError as exc:
            return error_response(exc)
        return JSONResponse({"input_tokens": request.prompt.tokens})

    def _request(
        self, body: CountRequest, messages: list[dict[str, Any]], max_tokens: int | None
    ) -> CompletionRequest:
        return CompletionRequest.build(
            messages,
            model=body.model,
            max_tokens=max_tokens,
            stop=getattr(body, "stop_sequences", None),
            service=self._runner.service,
            search=getattr(body, "g4f_search", True),  # count_tokens' body has neither
            files=getattr(body, "g4f_files", None) or (),
            option_names=OPTION_NAMES,
            stop_name="stop_sequences",
        )

    async def create(self, body: MessagesRequest, backend: Backend) -> Response:
        """The answer to ``body``; failures before it began in Anthropic's shape."""
        try:
            return await self._create(body, backend)
        except errors.G4FError as exc:
            return error_response(exc)

    async def _create(self, body: MessagesRequest, backend: Backend) -> Response:
        _check(body, self._runner.max_messages)
        messages = chat_messages(body)
        turn = await self._begin(body, messages, backend)
        answer = _Answer(
            "msg_" + os.urandom(12).hex(), turn.request.model, turn.request.prompt.tokens
        )
        if body.stream:
            return await streamed(
                turn.parts,
                lambda first, parts: self._stream(answer, turn, messages, first, parts),
            )
        message = answer.message(await collect(turn.parts))
        if message["stop_reason"] == "end_turn":
            await self._remember(turn, messages, message["content"][0]["text"])
        return JSONResponse(message)

    async def _begin(
        self, body: MessagesRequest, messages: list[dict[str, Any]], backend: Backend
    ) -> Turn:
        """A turn continuing the conversation that reached this history, or a new one."""
        runner = self._runner
        record = None
        if len(messages) > 1 and messages[-2]["role"] == "assistant":
            record = await runner.store.get_record(
                history_key(runner.service, body.model, messages[:-1])
            )
        if record is not None:
            request = self._request(body, messages[-1:], body.max_tokens)
            try:
                return await runner.begin(
                    request, backend, record.conversation_id, expected_turn=record.turn
                )
            except (NotFound, ConversationBusy):  # TurnMoved included
                pass  # gone, moved on or busy: a new conversation, the history folded
        request = self._request(body, messages, body.max_tokens)
        return await runner.begin(request, backend)

    async def _remember(self, turn: Turn, messages: list[dict[str, Any]], text: str) -> None:
        """Keep the record of the history this answer completes (failures only logged: the
        next request then starts a new conversation)."""
        history = [*messages, {"role": "assistant", "content": text}]
        key = history_key(self._runner.service, turn.request.model, history)
        record = ResponseRecord(key, turn.conversation.conversation_id, turn.conversation.turn)
        try:
            await self._runner.store.put_record(record)
        except errors.StoreUnavailable as exc:
            log.warning("could not keep a conversation's history: %s", exc)

    async def _stream(
        self,
        answer: _Answer,
        turn: Turn,
        messages: list[dict[str, Any]],
        first: Part,
        parts: AsyncGenerator[Part, None],
    ) -> AsyncGenerator[bytes, None]:
        """message_start, content_block_start, ping, content_block_delta…, content_block_stop,
        message_delta, message_stop; an ``error`` event for a failure midway."""
        yield _opening(answer)
        texts, last = [first.text], first
        if first.text:
            yield _delta(first.text)
        try:
            async for part in parts:
                last = part
                if part.text:
                    texts.append(part.text)
                    yield _delta(part.text)
        except Exception as exc:  # the upstream's failure or a bug of ours: an error event
            yield failed_midway(exc, error_event)
            return
        text = "".join(texts)
        reason, sequence = _stop_reason(last)
        if reason == "end_turn":
            await self._remember(turn, messages, text)
        yield _closing(reason, sequence, estimate_tokens(text))


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _opening(answer: _Answer) -> bytes:
    start: dict[str, Any] = {
        "id": answer.id,
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": answer.usage(1),
    }
    return (
        _event("message_start", {"type": "message_start", "message": start})
        + _event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        + _event("ping", {"type": "ping"})
    ).encode()


def _delta(text: str) -> bytes:
    """``content_block_delta``, from a template (one per update: it must be cheap)."""
    return (
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        f'"delta":{{"type":"text_delta","text":{json.dumps(text, ensure_ascii=False)}}}}}\n\n'
    ).encode()


def _closing(reason: str, sequence: str | None, output_tokens: int) -> bytes:
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": sequence},
        "usage": {"output_tokens": output_tokens},
    }
    return (
        _event("content_block_stop", {"type": "content_block_stop", "index": 0})
        + _event("message_delta", delta)
        + _event("message_stop", {"type": "message_stop"})
    ).encode()
