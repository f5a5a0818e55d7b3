"""The API's routes: the probes (``/health``, ``/ready``), the models (``/v1/models``, from the
service registry) and the shapes (:mod:`g4f.api.shapes`): ``POST /v1/chat/completions``,
``/v1/responses`` (and ``GET``/``DELETE /v1/responses/{id}``), ``POST /v1/messages`` and
``/v1/messages/count_tokens``.

The routes read what they serve from :class:`Served`, kept on the app's state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from .. import errors
from ..engine.backend import Backend
from ..openai import UnknownModel
from ..openai.request import model_for
from ..services.registry import entry
from .errors import openai_error_for
from .middleware import openai_error
from .schema import ChatRequest
from .shapes.chat_completions import ChatCompletions
from .shapes.messages import CountRequest, Messages, MessagesRequest
from .shapes.responses import Responses, ResponsesRequest

__all__ = ["Readiness", "Served", "router", "served"]

router = APIRouter()
"""Every route of the API."""


class Readiness:
    """The upstream check behind ``/ready``: one at a time, its result kept ``ttl`` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._result: tuple[float, errors.G4FError | None] | None = None
        self._lock = asyncio.Lock()

    async def check(self, backend: Backend) -> errors.G4FError | None:
        """``None`` when the upstream answered its handshake, else why not."""
        async with self._lock:  # concurrent probes wait for one check, not one each
            if self._result is not None and self.clock() - self._result[0] < self.ttl:
                return self._result[1]
            failure: errors.G4FError | None = None
            try:
                await backend.check()
            except errors.G4FError as exc:
                failure = exc
            self._result = (self.clock(), failure)
            return failure


@dataclass
class Served:
    """What the routes of one app serve.

    Attributes:
        service: the upstream's service (its models are listed).
        readiness: the cached upstream check.
        chat: the chat-completions handler.
        responses: the Responses API handler.
        messages: the Messages API handler.
        backend: the upstream, while the app runs (its lifespan sets it).
    """

    service: str
    readiness: Readiness
    chat: ChatCompletions
    responses: Responses
    messages: Messages
    backend: Backend | None = None

    def upstream(self) -> Backend:
        """The backend; ``RuntimeError`` outside the app's lifespan."""
        if self.backend is None:
            raise RuntimeError("the app is not running (its lifespan has not started)")
        return self.backend


def served(app: FastAPI) -> Served:
    """What ``app`` serves (set by :func:`g4f.api.app.create_app`)."""
    found = app.state.served
    assert isinstance(found, Served)
    return found


def _model_object(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "g4f-bing"}


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the server runs (says nothing of the upstream; see ``/ready``)."""
    return {"status": "ok"}


@router.get("/ready", response_model=None)
async def ready(request: Request) -> dict[str, str] | JSONResponse:
    """Readiness: the upstream answers a ChatHub handshake (checked at most every
    ``ready_cache`` seconds)."""
    state = served(request.app)
    failure = await state.readiness.check(state.upstream())
    if failure is None:
        return {"status": "ready"}
    return openai_error(
        503,
        f"The upstream is not ready: {failure}",
        "upstream_error",
        openai_error_for(failure).code,
    )


@router.get("/v1/models")
async def models(request: Request) -> dict[str, Any]:
    """The service's listed models, from the registry."""
    listed = entry(served(request.app).service).models
    return {"object": "list", "data": [_model_object(m.id) for m in listed]}


@router.get("/v1/models/{model_id:path}", response_model=None)
async def model(model_id: str, request: Request) -> dict[str, Any] | JSONResponse:
    """One model of the service (any ``<prefix><tone>`` of a service with a prefix)."""
    try:
        model_for(model_id, served(request.app).service)
    except UnknownModel as exc:
        return openai_error(404, exc.message, code="model_not_found", param="model")
    return _model_object(model_id)


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(body: ChatRequest, request: Request) -> Response:
    """One turn: the answer whole, or streamed as server-sent events (``"stream": true``)."""
    state = served(request.app)
    return await state.chat.answer(body, state.upstream())


@router.post("/v1/responses", response_model=None)
async def create_response(body: ResponsesRequest, request: Request) -> Response:
    """One turn as a Responses API ``response``, whole or streamed (``"stream": true``)."""
    state = served(request.app)
    return await state.responses.create(body, state.upstream())


@router.get("/v1/responses/{response_id}", response_model=None)
async def retrieve_response(response_id: str, request: Request) -> Response:
    """A kept response."""
    return await served(request.app).responses.retrieve(response_id)


@router.delete("/v1/responses/{response_id}", response_model=None)
async def delete_response(response_id: str, request: Request) -> Response:
    """Forget a kept response."""
    return await served(request.app).responses.delete(response_id)


@router.post("/v1/messages", response_model=None)
async def create_message(body: MessagesRequest, request: Request) -> Response:
    """One turn as an Anthropic ``message``, whole or streamed (``"stream": true``)."""
    state = served(request.app)
    return await state.messages.create(body, state.upstream())


@router.post("/v1/messages/count_tokens", response_model=None)
async def count_tokens(body: CountRequest, request: Request) -> Response:
    """The estimated input tokens of a Messages request."""
    return await served(request.app).messages.count_tokens(body)
