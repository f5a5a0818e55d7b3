"""``POST /v1/responses`` (and ``GET``/``DELETE /v1/responses/{id}``): OpenAI's Responses API
over the shared turn runner (:mod:`g4f.api.turns`).

The request's ``input`` (a string, or ``message`` items of ``input_text`` / ``input_image``
parts) and ``instructions`` fold into one turn as Chat Completions' messages do. The answer is a
``response`` object holding one ``message`` item of ``output_text``; streamed, it is the spec's
events (``event:`` lines, ``sequence_number``), in the spec's order, ending with
``response.completed``, ``response.incomplete`` (a length limit, a refusal) or
``response.failed``. A response is kept (unless ``store`` is false) as a record of the store
naming its conversation, so ``previous_response_id`` continues that conversation upstream.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ... import errors
from ...engine.backend import Backend
from ...openai import CompletionRequest, Part, estimate_tokens, whole_text
from ..errors import error_response, failed_midway, internal_message, openai_error_for
from ..failures import NotFound, TurnMoved
from ..schema import check_count, check_format, check_unicode
from ..store import ResponseRecord
from ..turns import OPTION_NAMES, Turn, TurnRunner, collect, streamed

__all__ = ["Responses", "ResponsesRequest"]


_TOOLS_REFUSED = "Function calling (tools) is not supported by the service."


class ResponsesRequest(BaseModel):
    """The body of ``POST /v1/responses``; unknown fields are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    input: str | list[dict[str, Any]]
    instructions: str | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    stream: bool = False
    store: bool | None = None
    metadata: dict[str, str] | None = None
    previous_response_id: str | None = None
    # Extensions for the Chat API (services that can; refused with 400 by the others): web
    # grounding on or off, and SharePoint/OneDrive documents to read — as in Chat Completions.
    g4f_search: bool = True
    g4f_files: list[str] | None = None
    # Accepted and ignored (no setting of the service; nothing the caller sees changes):
    temperature: float | None = None
    top_p: float | None = None
    user: str | None = None
    parallel_tool_calls: bool | None = None
    truncation: str | None = None
    # Refused when they ask for what the service cannot do:
    tools: list[Any] | None = None
    tool_choice: Any = None
    text: dict[str, Any] | None = None
    background: bool | None = None
    conversation: Any = None
    prompt: Any = None
    top_logprobs: int | None = None


def _check(body: ResponsesRequest, max_messages: int) -> None:
    """What the schema cannot say; :class:`~g4f.errors.BadRequest` naming the field."""
    if not isinstance(body.input, str):  # a string is one message
        check_count(body.input, max_messages, "input")
    if body.tools:
        raise errors.BadRequest(_TOOLS_REFUSED, param="tools", code="not_supported")
    if body.tool_choice not in (None, "none", "auto"):
        raise errors.BadRequest(_TOOLS_REFUSED, param="tool_choice", code="not_supported")
    check_format((body.text or {}).get("format"), "text.format")
    refused = {
        "background": "responses are answered while the request waits",
        "conversation": "use previous_response_id to continue a conversation",
        "prompt": "stored prompt templates are OpenAI's own",
        "top_logprobs": "the service reports no token log probabilities",
    }
    for name, why in refused.items():
        if getattr(body, name) not in (None, False, 0):
            raise errors.BadRequest(
                f"'{name}' is not supported: {why}.", param=name, code="not_supported"
            )
    check_unicode(body.model_dump())


def messages_of(body: ResponsesRequest) -> list[dict[str, Any]]:
    """``instructions`` and ``input`` as Chat Completions' messages (``developer``: ``system``;
    ``input_image``: an ``image_url`` part)."""
    found: list[dict[str, Any]] = []
    if body.instructions:
        found.append({"role": "system", "content": body.instructions})
    if isinstance(body.input, str):
        return [*found, {"role": "user", "content": body.input}]
    for index, item in enumerate(body.input):
        kind = item.get("type", "message")
        if kind in ("function_call", "function_call_output", "custom_tool_call_output"):
            raise errors.BadRequest(_TOOLS_REFUSED, param=f"input[{index}]", code="not_supported")
        if kind == "reasoning":
            continue  # a client's echo of reasoning there was none of: nothing to fold
        if kind != "message":
            raise errors.BadRequest(
                f"Input items of type {kind!r} are not supported (only messages).",
                param=f"input[{index}]",
            )
        role = item.get("role")
        role = "system" if role == "developer" else role
        found.append({"role": role, "content": _content(item.get("content"), index)})
    return found


def _content(content: Any, index: int) -> Any:
    """A message item's content as Chat Completions' parts."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise errors.BadRequest("A message needs content.", param=f"input[{index}].content")
    parts: list[dict[str, Any]] = []
    for number, part in enumerate(content):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": str(part.get("text") or "")})
        elif kind == "input_image" and isinstance(part.get("image_url"), str):
            parts.append({"type": "image_url", "image_url": {"url": part["image_url"]}})
        else:
            raise errors.BadRequest(
                "Only input_text parts and input_image parts with a data: URL are supported.",
                param=f"input[{index}].content[{number}]",
            )
    return parts


def _usage(input_tokens: int, text: str) -> dict[str, Any]:
    output = estimate_tokens(text)
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output,
    }


class _Answer:
    """One response's ids and the object at each stage."""

    def __init__(self, body: ResponsesRequest, request: CompletionRequest) -> None:
        self.id = "resp_" + os.urandom(24).hex()
        self.item_id = "msg_" + os.urandom(24).hex()
        self.request = request
        self.created = int(time.time())
        self.echo = {
            "instructions": body.instructions,
            "max_output_tokens": body.max_output_tokens,
            "metadata": body.metadata or {},
            "previous_response_id": body.previous_response_id,
            "store": body.store is not False,
            "temperature": body.temperature if body.temperature is not None else 1.0,
            "top_p": body.top_p if body.top_p is not None else 1.0,
            "user": body.user,
        }

    def response(self, status: str, parts: list[Part] | None = None) -> dict[str, Any]:
        """The ``response`` object: ``in_progress`` (no output yet), or finished with
        ``parts``; ``failed`` carries its error separately (see :meth:`failed`)."""
        output: list[dict[str, Any]] = []
        usage = None
        details = None
        if parts is not None:
            last = parts[-1] if parts else Part(finish_reason="stop")
            text = whole_text(parts)
            if last.finish_reason == "length":
                status, details = "incomplete", {"reason": "max_output_tokens"}
            elif last.finish_reason == "content_filter":
                status, details = "incomplete", {"reason": "content_filter"}
            output = [self.item(text, "completed" if status == "completed" else "incomplete")]
            usage = _usage(self.request.prompt.tokens, text)
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "error": None,
            "incomplete_details": details,
            "model": self.request.model,
            "output": output,
            "parallel_tool_calls": True,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "truncation": "disabled",
            "usage": usage,
            **self.echo,
        }

    def item(self, text: str | None, status: str) -> dict[str, Any]:
        """The ``message`` output item (``text`` ``None``: not begun, no content yet)."""
        content = [] if text is None else [_text_part(text)]
        return {
            "id": self.item_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    def failed(self, error: BaseException) -> dict[str, Any]:
        """The ``response`` object of a stream that failed after it began (``error``: the
        upstream's failure, or a bug of ours)."""
        failed = self.response("failed")
        if not isinstance(error, errors.G4FError):
            failed["error"] = {"code": "server_error", "message": internal_message(error)}
            return failed
        entry = openai_error_for(error)
        code = "rate_limit_exceeded" if entry.status == 429 else "server_error"
        failed["error"] = {"code": code, "message": f"{error} ({entry.code})"}
        return failed


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


class Responses:
    """The Responses API handler of one app, over the app's turn runner."""

    def __init__(self, runner: TurnRunner) -> None:
        self._runner = runner

    async def create(self, body: ResponsesRequest, backend: Backend) -> Response:
        """The response to ``body``; failures before the answer began in OpenAI's shape."""
        try:
            return await self._create(body, backend)
        except errors.G4FError as exc:
            return error_response(exc)

    async def _create(self, body: ResponsesRequest, backend: Backend) -> Response:
        _check(body, self._runner.max_messages)
        runner = self._runner
        request = CompletionRequest.build(
            messages_of(body),
            model=body.model,
            max_tokens=body.max_output_tokens,
            service=runner.service,
            search=body.g4f_search,
            files=body.g4f_files or (),
            option_names=OPTION_NAMES,
        )
        turn = await self._begin(body, request, backend)
        answer = _Answer(body, request)
        keep = body.store is not False
        if body.stream:
            return await streamed(
                turn.parts, lambda first, parts: self._stream(answer, turn, first, parts, keep)
            )
        whole = answer.response("completed", await collect(turn.parts))
        if keep:
            await self._keep(answer, turn, whole)
        return JSONResponse(whole)

    async def _begin(
        self, body: ResponsesRequest, request: CompletionRequest, backend: Backend
    ) -> Turn:
        """The turn in the conversation ``previous_response_id`` names (:class:`NotFound` if
        none), at the turn that response left it; or in a new conversation."""
        param = "previous_response_id"
        if body.previous_response_id is None:
            return await self._runner.begin(request, backend, param=param)
        record = await self._record(body.previous_response_id, param)
        try:
            return await self._runner.begin(
                request, backend, record.conversation_id, param=param, expected_turn=record.turn
            )
        except TurnMoved:
            raise errors.BadRequest(
                f"The response '{record.record_id}' is not the latest of its conversation: "
                "the service keeps one line of turns, so only the latest response can be "
                "continued.",
                param=param,
                code="not_supported",
            ) from None

    async def _record(self, response_id: str, param: str | None) -> ResponseRecord:
        record = None
        if response_id.startswith("resp_"):
            record = await self._runner.store.get_record(response_id)
        if record is None:
            raise NotFound(
                f"Response with id '{response_id}' not found.", param=param, code="not_found"
            )
        return record

    async def _keep(self, answer: _Answer, turn: Turn, whole: dict[str, Any]) -> None:
        record = ResponseRecord(
            answer.id, turn.conversation.conversation_id, turn.conversation.turn, json.dumps(whole)
        )
        await self._runner.store.put_record(record)

    async def retrieve(self, response_id: str) -> Response:
        """``GET /v1/responses/{id}``: a kept response; 404 in OpenAI's shape if unknown."""
        try:
            record = await self._record(response_id, None)
        except errors.G4FError as exc:
            return error_response(exc)
        return Response(record.data, media_type="application/json")

    async def delete(self, response_id: str) -> Response:
        """``DELETE /v1/responses/{id}``: forget a kept response."""
        try:
            if not response_id.startswith("resp_") or not await self._runner.store.delete_record(
                response_id
            ):
                raise NotFound(f"Response with id '{response_id}' not found.")
        except errors.G4FError as exc:
            return error_response(exc)
        return JSONResponse({"id": response_id, "object": "response", "deleted": True})

    async def _stream(
        self,
        answer: _Answer,
        turn: Turn,
        first: Part,
        parts: AsyncGenerator[Part, None],
        keep: bool,
    ) -> AsyncGenerator[bytes, None]:
        """The spec's events, in its order; ``response.failed`` for a failure midway."""
        events = _Events(answer)
        yield events.opening()
        collected = [first]
        try:
            if first.text:
                yield events.delta(first.text)
            async for part in parts:
                collected.append(part)
                if part.text:
                    yield events.delta(part.text)
        except Exception as exc:  # the upstream's failure or a bug of ours: response.failed
            yield failed_midway(exc, events.failed)
            return
        # Streamed, the text is what the deltas carried (not the final record's text).
        collected[-1] = dataclasses.replace(collected[-1], answer=None)
        whole = answer.response("completed", collected)
        if keep:
            await self._keep(answer, turn, whole)
        yield events.closing(whole)


class _Events:
    """The server-sent events of one streamed response, numbered in order."""

    def __init__(self, answer: _Answer) -> None:
        self.answer = answer
        self.number = 0
        self._delta = (
            f'"item_id":"{answer.item_id}","output_index":0,"content_index":0,"logprobs":[],'
            '"delta":'
        )

    def event(self, kind: str, fields: dict[str, Any]) -> bytes:
        """One event: its ``event:`` line and its data (its type and sequence number first)."""
        data = json.dumps(
            {"type": kind, "sequence_number": self.number, **fields}, ensure_ascii=False
        )
        self.number += 1
        return f"event: {kind}\ndata: {data}\n\n".encode()

    def failed(self, error: BaseException) -> bytes:
        """``response.failed``: the stream failed with ``error`` after it began."""
        return self.event("response.failed", {"response": self.answer.failed(error)})

    def delta(self, text: str) -> bytes:
        """``response.output_text.delta``, from a template (one per update: it must be cheap)."""
        number, self.number = self.number, self.number + 1
        return (
            'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
            f'"sequence_number":{number},{self._delta}{json.dumps(text, ensure_ascii=False)}}}'
            "\n\n"
        ).encode()

    def opening(self) -> bytes:
        """Created, in progress, the item added, its text part added."""
        start = self.answer.response("in_progress")
        where = {"item_id": self.answer.item_id, "output_index": 0, "content_index": 0}
        return b"".join(
            (
                self.event("response.created", {"response": start}),
                self.event("response.in_progress", {"response": start}),
                self.event(
                    "response.output_item.added",
                    {"output_index": 0, "item": self.answer.item(None, "in_progress")},
                ),
                self.event("response.content_part.added", {**where, "part": _text_part("")}),
            )
        )

    def closing(self, whole: dict[str, Any]) -> bytes:
        """The text done, its part done, the item done, and the response completed (or
        incomplete: a length limit, a refusal)."""
        item = whole["output"][0]
        text = item["content"][0]["text"]
        where = {"item_id": self.answer.item_id, "output_index": 0, "content_index": 0}
        last = "response.completed" if whole["status"] == "completed" else "response.incomplete"
        return b"".join(
            (
                self.event("response.output_text.done", {**where, "text": text, "logprobs": []}),
                self.event("response.content_part.done", {**where, "part": item["content"][0]}),
                self.event("response.output_item.done", {"output_index": 0, "item": item}),
                self.event(last, {"response": whole}),
            )
        )
