"""One ChatHub websocket, client side, without I/O (in the style of h11's ``Connection``).

:class:`Connection` owns everything a websocket's conversation with the server needs to
remember: the record decoder, whether the handshake was sent and answered, which invocation is
current, which records belong to an earlier turn, and what a ping, a close, a failed result or a
bare completion mean — an event, or a typed error carrying the answer text received so far.
It is fed websocket text and hands back events and the text to send; it never touches a socket
or a clock, so the transport above it (``g4f.client.chathub``) keeps only deadlines, keep-alive
pings and recording.

Example::

    connection = Connection()
    send(connection.initiate())                     # the handshake
    send(connection.send_invocation(invocation))    # need not wait for the handshake's answer
    while connection.state is State.TURN:
        event = connection.next_event()
        if event is None:
            connection.receive_data(receive())      # more websocket text
        elif isinstance(event, Ping):
            send(connection.ping())
        else:
            ...                                     # TextDelta, Sources, …, Final
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from ..errors import (
    ConnectError,
    ConnectionClosed,
    G4FError,
    ProtocolError,
    Refused,
    RequestRefused,
)
from .constants import RecordType
from .events import Close, Completion, ErrorResult, Event, Final, Refusal
from .framing import (
    HANDSHAKE_REQUEST,
    Record,
    RecordDecoder,
    encode_records,
    parse_handshake_response,
)
from .invocation import ping_record
from .reader import TurnReader
from .results import error_for_result

__all__ = ["Connection", "State"]

# What a reader bug on a malformed record would raise: the connection reports it as the
# malformed record it is, never as a bare Python error.
_READER_BUGS = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError)

# Events that end a turn (Final) or fail it; every other event is passed on as it is.
_ENDINGS = (Final, Close, ErrorResult, Refusal, Completion)

_PING = int(RecordType.PING)
_COMPLETION = int(RecordType.COMPLETION)
_CLOSE = int(RecordType.CLOSE)


class State(Enum):
    """Where a connection is: between turns, in one, or done for good."""

    IDLE = "idle"
    """Ready for an invocation (the handshake may still be unanswered)."""
    TURN = "turn"
    """An invocation was sent and its final record has not arrived."""
    CLOSED = "closed"
    """The connection failed or the server closed it; open another one."""


class Connection:
    """The client side of one ChatHub websocket; see the module's docstring for its use.

    ``reader`` makes each turn's reader: :class:`~g4f.protocol.TurnReader` for Bing's records, a
    service's own where its records differ.

    A failed turn raises the matching :class:`~g4f.errors.G4FError` from :meth:`next_event` (or
    :meth:`receive_data`, for a malformed record) with the turn's text so far in
    ``partial_text``, and leaves the connection :attr:`State.CLOSED`.

    >>> connection = Connection()
    >>> connection.initiate()
    '{"protocol":"json","version":1}\\x1e'
    >>> _ = connection.send_invocation({"type": 4, "target": "chat", "invocationId": "0"})
    >>> connection.receive_data('{}\\x1e{"type":6}\\x1e')
    >>> connection.next_event(), connection.next_event()
    (Ping(), None)
    """

    __slots__ = (
        "_decoder",
        "_events",
        "_handshake_sent",
        "_handshaken",
        "_invocation_id",
        "_new_reader",
        "_reader",
        "_records",
        "progress",
        "state",
        "turn_records",
    )

    def __init__(
        self,
        *,
        max_record: int | None = None,
        reader: Callable[[], TurnReader] = TurnReader,
    ) -> None:
        self._decoder = RecordDecoder(max_record)
        self._new_reader = reader
        self._records: deque[Record] = deque()
        self._events: deque[Event] = deque()
        self._handshake_sent = False
        self._handshaken = False
        self._invocation_id: str | None = None
        self._reader = reader()
        self.state = State.IDLE
        self.turn_records = 0
        """Records the server sent since the current invocation (0: it has not answered)."""
        self.progress = 0
        """Of those, the records that are not pings: a transport's read deadline restarts
        when this grows (a server that only answers pings is silent)."""

    @property
    def text(self) -> str:
        """The answer text of the current (or last) turn so far."""
        return self._reader.text

    @property
    def handshaken(self) -> bool:
        """Whether the server has answered the handshake."""
        return self._handshaken

    # -- what the client sends -------------------------------------------------------------

    def initiate(self) -> str:
        """The handshake, the first text to send on a new websocket."""
        if self._handshake_sent:
            raise RuntimeError("the handshake was already sent on this connection")
        self._handshake_sent = True
        return HANDSHAKE_REQUEST

    def send_invocation(self, invocation: Mapping[str, Any], *extra: Mapping[str, Any]) -> str:
        """Start a turn: the text of ``invocation`` (and of ``extra`` records, sent in the same
        websocket message). The server handles records in order, so this need not wait for
        the handshake's answer."""
        if not self._handshake_sent:
            raise RuntimeError("send the handshake (initiate()) before an invocation")
        if self.state is not State.IDLE:
            raise RuntimeError(f"cannot start a turn on a connection in state {self.state.value}")
        self._invocation_id = str(invocation.get("invocationId"))
        self._reader = self._new_reader()
        self._reader.begin(invocation)
        self.turn_records = self.progress = 0
        self.state = State.TURN
        return encode_records(invocation, *extra)

    @staticmethod
    def stop_text(stop: Mapping[str, Any]) -> str:
        """The text of a service's record that stops the streaming answer."""
        return encode_records(stop)

    @staticmethod
    def ping() -> str:
        """A keep-alive ping (also the answer to the server's pings)."""
        return encode_records(ping_record())

    # -- what the server sends --------------------------------------------------------------

    def receive_data(self, text: str) -> None:
        """Add one websocket message's text; its records are read by :meth:`next_event`."""
        if self.state is State.CLOSED:
            return  # what a dead connection receives changes nothing
        try:
            self._records.extend(self._decoder.feed(text))
        except G4FError as exc:
            self.fail(exc)
            raise  # itself, its cause kept

    def next_event(self) -> Event | None:
        """The next event of the current turn, or ``None`` when more text is needed.

        :class:`~g4f.protocol.Ping` asks the caller to answer with :meth:`ping` (as often as its
        own keep-alive policy allows). :class:`~g4f.protocol.Final` ends the turn; the
        connection is then idle, ready for the next invocation.
        """
        events, records = self._events, self._records
        while not events:
            if not records or self.state is State.CLOSED:
                return None
            self._read(records.popleft())
        return events.popleft()

    def connection_lost(self, why: str) -> G4FError:
        """The error for a websocket that closed (or failed) now, with the partial text.

        :class:`~g4f.errors.ConnectError` (resending is safe) when the server had sent nothing
        for the current turn, else :class:`~g4f.errors.ConnectionClosed`.
        """
        cls = ConnectError if self.turn_records == 0 else ConnectionClosed
        return self.fail(cls(why))

    def fail(self, error: G4FError) -> G4FError:
        """Close the connection for good and give ``error`` the turn's partial text."""
        self.state = State.CLOSED
        self._records.clear()
        self._events.clear()
        error.partial_text = error.partial_text or self._reader.text  # nothing received is lost
        return error

    # -- reading ----------------------------------------------------------------------------

    def _read(self, record: Record) -> None:
        if not self._handshaken:
            try:
                parse_handshake_response(record)
            except G4FError as exc:
                self.fail(exc)
                raise  # itself, its cause kept
            self._handshaken = True
            return
        kind = record.get("type")
        if self.state is State.IDLE:
            self._read_idle(kind)
            return
        if kind == _COMPLETION and record.get("invocationId") not in (None, self._invocation_id):
            return  # the end of an earlier turn on this connection
        self.turn_records += 1
        if kind != _PING:
            self.progress += 1
        try:
            produced = self._reader.read(record)
        except G4FError as exc:
            self.fail(exc)
            raise  # itself, its cause kept
        except _READER_BUGS as exc:
            error = ProtocolError(f"malformed record ({type(exc).__name__} reading it)")
            raise self.fail(error) from exc
        for event in produced:
            if not isinstance(event, _ENDINGS):  # the common case: one check per event
                self._events.append(event)
                continue
            if isinstance(event, Close):
                detail = f": {event.error}" if event.error else ""
                raise self.fail(ConnectionClosed(f"the server closed the conversation{detail}"))
            if isinstance(event, ErrorResult):
                raise self.fail(error_for_result(event.value, event.message))
            if isinstance(event, Refusal):
                detail = f": {event.text}" if event.text else ""
                raise self.fail(Refused(f"the service declined this prompt{detail}"))
            if isinstance(event, Completion):
                raise self.fail(
                    RequestRefused(event.error or "the invocation completed without a final record")
                )
            self._events.append(event)  # the Final record
            self._end_turn()
            return

    def _end_turn(self) -> None:
        """The final record arrived: the rest of its message belongs to no turn."""
        self.state = State.IDLE
        while self._records:
            self._read_idle(self._records.popleft().get("type"))

    def _read_idle(self, kind: Any) -> None:
        """Between turns only a close matters (the end of the turn and pings do not)."""
        if kind == _CLOSE:
            self.state = State.CLOSED
