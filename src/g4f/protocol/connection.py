"""One ChatHub websocket, client side, without I/O (in the style of h11's ``Connection``).

:class:`Connection` owns everything a websocket's conversation with the server needs to
remember: the record decoder, whether the handshake was sent and answered, which invocation is
current, which records belong to an earlier turn, what a ping, a close, a failed result or a
bare completion mean — an event, or a typed error carrying the answer text received so far —
and how an abandoned turn ends: its stop, the stop's acknowledgement, then the close.
It is fed websocket text and hands back events and the text to send; it never touches a socket
or a clock, so the transport above it (``g4f.engine.websocket``) keeps only deadlines, keep-alive
pings and recording.

Example::

    connection = Connection(reader=BingTurnReader)
    send(connection.initiate())                     # the handshake
    send(connection.send(Invocation(invocation)))   # need not wait for the handshake's answer
    while connection.state is State.TURN:
        event = connection.next_event()
        if event is NEED_DATA:
            connection.receive_data(receive())      # more websocket text
        elif isinstance(event, Ping):
            send(connection.send(KeepAlive()))
        else:
            ...                                     # TextDelta, Sources, …, Final

    # The caller left mid-answer: stop it, wait for the acknowledgement, close.
    text = connection.abandon(stop_record)          # None when there is nothing to send
    if text is not None:
        send(text)
    while connection.next_event() is NEED_DATA and not connection.close_expected():
        connection.receive_data(receive())          # the stopped answer is not shown
    close()
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol, assert_never

from ..errors import (
    ConnectError,
    ConnectionClosed,
    G4FError,
    ProtocolError,
    Refused,
    RequestRefused,
)
from .constants import RecordType
from .events import Close, Completion, ErrorResult, Event, Final, Ping, ReaderOutput, Refusal
from .framing import (
    HANDSHAKE_REQUEST,
    JSON_LOADS,
    Record,
    RecordDecoder,
    encode_records,
    parse_handshake_response,
    ping_record,
)
from .sending import Invocation, KeepAlive, Outgoing, Stop

__all__ = ["NEED_DATA", "Connection", "NeedData", "State", "TurnReader"]


class TurnReader(Protocol):
    """What a connection needs of a dialect's reader of one turn's records (Bing's is
    :class:`g4f.services.bing.reader.TurnReader`; Microsoft 365 Copilot's extends it)."""

    @property
    def text(self) -> str:
        """All answer text read so far (the partial answer if the turn fails now)."""
        ...

    def begin(self, invocation: Mapping[str, Any]) -> None:
        """Called with the invocation that starts the turn, before any record is read."""
        ...

    def read(self, record: Record) -> Sequence[ReaderOutput]:
        """What ``record`` produces: events, and the records the connection acts on."""
        ...

    def error_for(self, value: str, message: str) -> G4FError:
        """The typed error for a turn that ended with result ``value`` and ``message``."""
        ...

# What a reader bug on a malformed record would raise: the connection reports it as the
# malformed record it is, never as a bare Python error.
_READER_BUGS = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError)

# Events that end a turn (Final) or fail it; every other event is passed on as it is.
_ENDINGS = (Final, Close, ErrorResult, Refusal, Completion)

_PING = int(RecordType.PING)
_COMPLETION = int(RecordType.COMPLETION)
_CLOSE = int(RecordType.CLOSE)
# While a turn is being stopped, these records end it: its result, a completion, a close.
_STOP_ENDINGS = frozenset({int(RecordType.STREAM_ITEM), _COMPLETION, _CLOSE})


class State(Enum):
    """Where a connection is: between turns, in one, stopping one, or done for good."""

    IDLE = "idle"
    """Ready for an invocation (the handshake may still be unanswered)."""
    TURN = "turn"
    """An invocation was sent and its final record has not arrived."""
    STOPPING = "stopping"
    """The current turn was abandoned and its stop sent: waiting for the acknowledgement."""
    CLOSED = "closed"
    """Done for good — the turn failed, the server closed, or an abandoned turn ended: close
    the websocket (:meth:`Connection.close_expected`) and open another one."""


class NeedData(Enum):
    """The type of :data:`NEED_DATA`, a value of its own (``match``/``isinstance`` tell it
    from any event)."""

    NEED_DATA = "need data"

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = NeedData.NEED_DATA
"""What :meth:`Connection.next_event` returns when it needs more websocket text."""


class Connection:
    """The client side of one ChatHub websocket; see the module's docstring for its use.

    ``reader`` makes each turn's reader: :class:`~g4f.protocol.TurnReader` for Bing's records, a
    service's own where its records differ. ``loads`` is the JSON parser records are read with
    (see :class:`~g4f.protocol.framing.RecordDecoder`).

    A failed turn raises the matching :class:`~g4f.errors.G4FError` from :meth:`next_event` (or
    :meth:`receive_data`, for a malformed record) with the turn's text so far in
    ``partial_text``, and leaves the connection :attr:`State.CLOSED`.

    >>> from g4f.services.bing import TurnReader
    >>> connection = Connection(reader=TurnReader)
    >>> connection.initiate()
    '{"protocol":"json","version":1}\\x1e'
    >>> _ = connection.send(Invocation({"type": 4, "target": "chat", "invocationId": "0"}))
    >>> connection.receive_data('{}\\x1e{"type":6}\\x1e')
    >>> connection.next_event(), connection.next_event()
    (Ping(), NEED_DATA)
    >>> connection.abandon({"type": 1, "target": "stop", "invocationId": "1"})
    '{"type":1,"target":"stop","invocationId":"1"}\\x1e'
    >>> connection.receive_data('{"type":3,"invocationId":"0"}\\x1e')
    >>> connection.next_event(), connection.close_expected()
    (NEED_DATA, True)
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
        "_stop_id",
        "progress",
        "state",
        "turn_records",
    )

    def __init__(
        self,
        *,
        max_record: int | None = None,
        reader: Callable[[], TurnReader],
        loads: Callable[[str], Any] = JSON_LOADS,
    ) -> None:
        self._decoder = RecordDecoder(max_record, loads=loads)
        self._new_reader = reader
        self._records: deque[Record] = deque()
        self._events: deque[Event | Ping] = deque()
        self._handshake_sent = False
        self._handshaken = False
        self._invocation_id: str | None = None
        self._stop_id: Any = None
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

    def close_expected(self) -> bool:
        """Whether the transport should close the websocket now: the connection is
        :attr:`State.CLOSED` (it failed, the server closed it, or an abandoned turn ended)."""
        return self.state is State.CLOSED

    # -- what the client sends -------------------------------------------------------------

    def initiate(self) -> str:
        """The handshake, the first text to send on a new websocket."""
        if self._handshake_sent:
            raise RuntimeError("the handshake was already sent on this connection")
        self._handshake_sent = True
        return HANDSHAKE_REQUEST

    def send(self, message: Outgoing) -> str:
        """The text to send for ``message``, once the state machine took it into account.

        :class:`~g4f.protocol.sending.Invocation` starts a turn (from :attr:`State.IDLE`; the
        server handles records in order, so this need not wait for the handshake's answer);
        :class:`~g4f.protocol.sending.Stop` stops the current one (:attr:`State.STOPPING`);
        :class:`~g4f.protocol.sending.KeepAlive` is a ping, in any state. A message the state
        does not allow is a :class:`RuntimeError`, a bug of the caller's.
        """
        if not self._handshake_sent:
            raise RuntimeError("send the handshake (initiate()) before anything else")
        match message:
            case Invocation():
                return self._invoke(message)
            case Stop():
                return self._stop(message)
            case KeepAlive():
                return encode_records(ping_record())
            case _:
                assert_never(message)

    def abandon(self, stop: Mapping[str, Any] | None = None) -> str | None:
        """Give up the current turn (its caller left, or it failed): the text that stops its
        answer, or ``None`` when there is nothing to send.

        With a service's ``stop`` record and a turn still streaming, the stop is sent and the
        connection is :attr:`State.STOPPING`: :meth:`next_event` then shows nothing of the
        stopped answer and the connection is :attr:`State.CLOSED` once the stop is
        acknowledged (the turn's result or completion, or the stop's). Otherwise it is closed
        at once. Either way, the transport closes the websocket when :meth:`close_expected`.
        """
        if stop is not None and self.state is State.TURN:
            return self.send(Stop(stop))
        if self.state is not State.STOPPING:
            self._close()
        return None

    def _invoke(self, invocation: Invocation) -> str:
        if self.state is not State.IDLE:
            raise RuntimeError(f"cannot start a turn on a connection in state {self.state.value}")
        record = invocation.record
        self._invocation_id = str(record.get("invocationId"))
        self._reader = self._new_reader()
        self._reader.begin(record)
        self.turn_records = self.progress = 0
        self.state = State.TURN
        return encode_records(record, *invocation.extra)

    def _stop(self, stop: Stop) -> str:
        if self.state is not State.TURN:
            raise RuntimeError(f"no turn to stop on a connection in state {self.state.value}")
        self._stop_id = stop.record.get("invocationId")  # its completion acknowledges the stop
        self.state = State.STOPPING
        self._events.clear()  # what the stopped answer had sent is not shown
        return encode_records(stop.record)

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

    def next_event(self) -> Event | Ping | NeedData:
        """The next event of the current turn, or :data:`NEED_DATA` when more text is needed.

        :class:`~g4f.protocol.Ping` asks the caller to answer with ``send(KeepAlive())`` (as
        often as its own keep-alive policy allows). :class:`~g4f.protocol.Final` ends the
        turn; the connection is then idle, ready for the next invocation. While
        :attr:`State.STOPPING` nothing of the stopped answer is shown: this returns only
        :data:`NEED_DATA`, until the acknowledgement closes the connection.
        """
        events, records = self._events, self._records
        while not events:
            if not records or self.state is State.CLOSED:
                return NEED_DATA
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
        self._close()
        error.partial_text = error.partial_text or self._reader.text  # nothing received is lost
        return error

    def _close(self) -> None:
        self.state = State.CLOSED
        self._records.clear()
        self._events.clear()

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
        elif self.state is State.STOPPING:
            self._read_stopping(record, kind)
        elif kind != _COMPLETION or record.get("invocationId") in (None, self._invocation_id):
            self._read_turn(record, kind)
        # else: the completion of an earlier turn on this connection

    def _read_turn(self, record: Record, kind: Any) -> None:
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
            elif isinstance(event, Final):
                self._events.append(event)
                self._end_turn()
                return
            else:
                raise self.fail(self._failure(event))

    def _read_stopping(self, record: Record, kind: Any) -> None:
        """A stopped turn's records are not read; its end — a result, the completion of the
        turn or of the stop, a close — is the stop's acknowledgement."""
        if kind not in _STOP_ENDINGS:
            return
        if kind == _COMPLETION and record.get("invocationId") not in (
            None,
            self._invocation_id,
            self._stop_id,
        ):
            return  # the end of an earlier turn
        self._close()

    def _end_turn(self) -> None:
        """The final record arrived: the rest of its message belongs to no turn."""
        self.state = State.IDLE
        while self._records:
            self._read_idle(self._records.popleft().get("type"))

    def _read_idle(self, kind: Any) -> None:
        """Between turns only a close matters (the end of the turn and pings do not)."""
        if kind == _CLOSE:
            self.state = State.CLOSED


    def _failure(self, ending: Close | ErrorResult | Refusal | Completion) -> G4FError:
        """The error for what ended a turn without its final record."""
        match ending:
            case Close(error=error):
                detail = f": {error}" if error else ""
                return ConnectionClosed(f"the server closed the conversation{detail}")
            case ErrorResult(value=value, message=message):
                return self._reader.error_for(value, message)
            case Refusal(text=text):
                detail = f": {text}" if text else ""
                return Refused(f"the service declined this prompt{detail}")
            case Completion(error=error):
                return RequestRefused(error or "the invocation completed without a final record")
            case _:
                assert_never(ending)
