"""The service seam: what differs between the services that speak ChatHub.

Everything else — the websocket transport, the protocol connection, reading events, retries,
keeping websockets between turns — is the same for every service and lives in
:class:`g4f.client.ChatHubClient`. A service only describes; it does no I/O of its own (creating
a conversation over HTTP goes through the :class:`HttpGet` the client hands it), so it can be
tested without a socket, as httpx's ``MockTransport`` allows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ..errors import G4FError
from ..protocol.connection import TurnReader
from ..protocol.constants import Style
from ..protocol.conversation import Conversation
from ..protocol.framing import Record
from .backend import Capabilities
from .images import Image

__all__ = ["ChatHubDialect", "HttpGet", "HttpPost", "HttpResponse", "Turn"]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What a service needs of an HTTP response."""

    status: int
    headers: Mapping[str, str]
    body: str


class HttpGet(Protocol):
    """``GET url`` with these headers, within ``time_limit`` seconds (the client's transport).

    Failures to connect raise :class:`~g4f.errors.ConnectError` or
    :class:`~g4f.errors.ConnectTimeout`; any HTTP status is returned, not raised.
    """

    async def __call__(
        self, url: str, *, headers: Mapping[str, str], time_limit: float
    ) -> HttpResponse: ...


class HttpPost(Protocol):
    """``POST url`` with these headers and a form of ``fields`` (multipart, or
    ``application/x-www-form-urlencoded`` when ``urlencoded``), within ``time_limit`` seconds;
    failures as for :class:`HttpGet`."""

    async def __call__(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        fields: Sequence[tuple[str, str]],
        time_limit: float,
        urlencoded: bool = False,
    ) -> HttpResponse: ...


@dataclass(frozen=True, slots=True)
class Turn:
    """One user turn, as the caller asked for it."""

    prompt: str
    style: Style
    context: str | None = None
    search: bool = True
    annotations: tuple[Mapping[str, Any], ...] = ()
    """What :meth:`ChatHubDialect.upload_image` gave for the turn's images."""


class ChatHubDialect(ABC):
    """One ChatHub service: how to reach it and what to send it.

    Attributes:
        name: a short name (``"bing"``).
        websocket_per_turn: ``True`` when the service wants a new websocket for every turn;
            ``False`` when one websocket serves a conversation's turns one after another.
        capabilities: what a turn may ask of the service (images: :meth:`upload_image`;
            tones; styles; stop: :meth:`stop_record`; switching web search off).
    """

    name: ClassVar[str]
    websocket_per_turn: ClassVar[bool]
    capabilities: ClassVar[Capabilities] = Capabilities()
    ping_after_handshake: ClassVar[bool] = False
    """Send a ping right after the handshake, before the invocation (as Microsoft 365
    Copilot's browser does)."""

    async def before_turn(self) -> None:
        """Called before each turn is prepared, on the event loop (e.g. to re-read a
        credential file off it); the default does nothing."""
        return

    @abstractmethod
    def headers(self) -> dict[str, str]:
        """Headers for every HTTP request and websocket upgrade (credentials included)."""

    @abstractmethod
    def websocket_url(self, conversation: Conversation | None) -> str | None:
        """The websocket URL for ``conversation``'s turns.

        With ``None``: a URL that can be opened before the conversation exists (so that the
        websocket opens while the conversation is being created), or ``None`` if there is none.
        The early websocket is used only if it equals the conversation's URL.
        """

    @abstractmethod
    async def create_conversation(
        self, get: HttpGet, style: Style, time_limit: float
    ) -> Conversation:
        """A new conversation: created by an HTTP call, or made up by the client.

        Raises the fitting :class:`~g4f.errors.G4FError` (one attempt: the client retries).
        """

    @abstractmethod
    def invocation(self, conversation: Conversation, turn: Turn) -> Sequence[Record]:
        """The records that start ``turn`` in ``conversation``, sent in one websocket message:
        the invocation first, then any record the service wants right after it."""

    @abstractmethod
    def reader(self) -> TurnReader:
        """A reader for one turn's records."""

    def stop_record(self, conversation: Conversation) -> Record | None:
        """The record that stops a streaming answer, or ``None`` when closing the websocket is
        the only way to stop one (the default)."""
        return None

    def upgrade_refused(
        self, status: int, headers: Mapping[str, str] | None = None
    ) -> G4FError | None:
        """The error for a websocket upgrade refused with HTTP ``status`` (and the refusal's
        ``headers``, e.g. ``Retry-After``), where the service gives the status a meaning
        (``None``: a plain :class:`~g4f.errors.ConnectError`)."""
        return None

    async def upload_image(
        self, post: HttpPost, conversation: Conversation, image: Image, time_limit: float
    ) -> Mapping[str, Any]:
        """Upload ``image`` for ``conversation``'s next turn; the annotation that attaches it.

        The default, for a service that ``takes_images`` not: ``ValueError``."""
        raise ValueError(f"the {self.name} service does not take images")

    def secrets(self, conversation: Conversation) -> Sequence[str]:
        """Credential strings that must never be recorded (a cassette redacts them)."""
        return ()
