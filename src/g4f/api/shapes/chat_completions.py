"""``POST /v1/chat/completions``: the request → one turn (:mod:`g4f.api.turns`) → the answer,
whole (a ``chat.completion``) or streamed (``chat.completion.chunk`` events, ``[DONE]``), with a
final usage chunk when ``stream_options.include_usage`` asks for one; errors in OpenAI's shape
(:mod:`g4f.api.errors`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Any

from fastapi.responses import JSONResponse, Response

from ... import errors
from ...engine.backend import Backend
from ...openai import ChunkBuilder, CompletionRequest, Part, estimate_tokens
from ..errors import error_response, failed_midway, stream_error
from ..schema import ChatRequest, check_request
from ..turns import OPTION_NAMES, TurnRunner, collect, streamed

__all__ = ["ChatCompletions"]


class ChatCompletions:
    """The chat-completions handler of one app, over the app's turn runner."""

    def __init__(self, runner: TurnRunner) -> None:
        self._runner = runner

    async def answer(self, body: ChatRequest, backend: Backend) -> Response:
        """The response to ``body``, one turn of ``backend``; every failure before the answer
        began is an error response in OpenAI's shape (see :mod:`g4f.api.errors`)."""
        try:
            return await self._answer(body, backend)
        except errors.G4FError as exc:  # the request's, the store's or the upstream's failure
            if isinstance(exc, errors.ConversationExpired) and body.conversation_id:
                exc.advice = (
                    f"the service no longer knows the conversation '{body.conversation_id}': it "
                    "was dropped from this server; send the request without conversation_id "
                    "to start a new one"
                )
            return error_response(exc)

    async def _answer(self, body: ChatRequest, backend: Backend) -> Response:
        runner = self._runner
        check_request(body, runner.max_messages)
        limits = [n for n in (body.max_tokens, body.max_completion_tokens) if n is not None]
        request = CompletionRequest.build(
            [_message(m.model_dump(exclude_none=True)) for m in body.messages],
            model=body.model,
            max_tokens=min(limits) if limits else None,
            stop=body.stop,
            service=runner.service,
            search=body.g4f_search,
            files=body.g4f_files or (),
            option_names=OPTION_NAMES,
        )
        turn = await runner.begin(request, backend, body.conversation_id)
        builder = ChunkBuilder(
            model=request.model,
            prompt_tokens=request.prompt.tokens,
            conversation_id=turn.conversation.conversation_id,
        )
        if body.stream:
            usage = body.stream_options is not None and body.stream_options.include_usage
            return await streamed(
                turn.parts, lambda first, parts: _stream(builder, first, parts, usage)
            )
        return JSONResponse(builder.completion(await collect(turn.parts)).model_dump())


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """A message as the folding takes it: the ``developer`` role is ``system``."""
    if message.get("role") == "developer":
        return {**message, "role": "system"}
    return message


def _usage_chunk(builder: ChunkBuilder, text: str) -> bytes:
    """The last chunk of ``stream_options.include_usage``: no choices, the (estimated) usage."""
    completion = estimate_tokens(text)
    chunk = {
        "id": builder.id,
        "choices": [],
        "created": builder.created,
        "model": builder.model,
        "object": "chat.completion.chunk",
        "conversation_id": builder.conversation_id,
        "usage": {
            "prompt_tokens": builder.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": builder.prompt_tokens + completion,
        },
    }
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()


async def _stream(
    builder: ChunkBuilder, first: Part, parts: AsyncGenerator[Part, None], usage: bool
) -> AsyncGenerator[bytes, None]:
    """SSE: the role chunk, content chunks, the finish chunk, (the usage chunk,) ``[DONE]``; or
    an error event.

    A client that disconnects cancels this generator, which closes the upstream turn.
    """
    texts = [first.text]
    async with contextlib.aclosing(parts):
        yield f"data: {builder.chunk_json()}\n\ndata: {builder.chunk_json(first)}\n\n".encode()
        try:
            async for part in parts:
                if usage:
                    texts.append(part.text)
                yield f"data: {builder.chunk_json(part)}\n\n".encode()
        except Exception as exc:  # the upstream's failure or a bug of ours: an error event
            yield failed_midway(exc, stream_error)
            return
    if usage:
        yield _usage_chunk(builder, "".join(texts))
    yield b"data: [DONE]\n\n"
