"""A pure reader of server-sent events (the WHATWG ``text/event-stream`` format): fed bytes as
they arrive, it returns whole events. No I/O, no clock: the HTTP layer feeds it.

It reads every layout the Microsoft 365 Copilot Chat API is known to send (M365-CHAT-API.md §4):

- one compact ``data:`` line per event, an ``id:`` line (with a trailing space), a blank line;
- pretty-printed JSON over many ``data:`` lines (joined with ``\\n``, as SSE says);
- ``\\r\\n`` or ``\\r`` line ends (split anywhere between two chunks), ``:`` comment lines;
- events with **no blank line** between them: a ``data:`` line begins a new event when the event
  so far already had its ``id:`` line, or when it starts a JSON object at the first column while
  the data so far is a whole JSON value;
- a byte-order mark at the start; unknown fields (ignored, as SSE says).

Line and event sizes are bounded: past them :class:`~g4f.errors.ProtocolError` is raised instead
of the buffer growing. The content type is not looked at (a server was seen sending
``event/stream``): a stream is judged by its lines, and one that holds none
(:meth:`SseDecoder.close`) is a :class:`~g4f.errors.ProtocolError`.

Example::

    decoder = SseDecoder()
    events = decoder.feed(b'data: {"a": 1}\\nid:1 \\n\\n')
    assert events[0].data == '{"a": 1}' and events[0].id == "1"
    events += decoder.close()
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import ProtocolError

__all__ = ["MAX_EVENT_BYTES", "MAX_LINE_BYTES", "SseDecoder", "SseEvent"]

MAX_LINE_BYTES = 1 << 20
"""The longest line accepted by default (a compact snapshot is one line)."""
MAX_EVENT_BYTES = 4 << 20
"""The largest event's data accepted by default."""

_ADVICE = "the server's event stream is malformed or too large; check the endpoint URL"
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One event: its data (``data:`` lines joined by ``\\n``), ``event:`` name and ``id:``."""

    data: str
    event: str = "message"
    id: str | None = None


class SseDecoder:
    """Bytes in, :class:`SseEvent` out; see the module's docstring for the layouts it reads.

    Args:
        max_line_bytes: the longest line (a partial line past it is an error too).
        max_event_bytes: the most data one event may carry.
    """

    def __init__(
        self, *, max_line_bytes: int = MAX_LINE_BYTES, max_event_bytes: int = MAX_EVENT_BYTES
    ) -> None:
        if max_line_bytes < 16 or max_event_bytes < 16:
            raise ValueError("SSE limits must be at least 16 bytes")
        self.max_line_bytes, self.max_event_bytes = max_line_bytes, max_event_bytes
        self._buffer = bytearray()
        self._skip_lf = False  # the last chunk ended in \r: a \n starting the next is its pair
        self._started = False
        self._data: list[str] = []
        self._size = 0
        self._event = ""
        self._id: str | None = None
        self._had_id = False  # the event being read already had its id: line
        self.events = 0
        """Events returned so far."""
        self.other_lines = 0
        """Lines that were no SSE field (e.g. an HTML page): a stream of only those is none."""

    def feed(self, data: bytes) -> list[SseEvent]:
        """The events completed by ``data`` (possibly none)."""
        buffer = self._buffer
        buffer += data
        if self._skip_lf and buffer[:1] == b"\n":
            del buffer[:1]
        self._skip_lf = False
        events: list[SseEvent] = []
        start, length = 0, len(buffer)
        # The next \r and \n at or after start (-1: none left), each searched again only once
        # passed: a search for one that never comes would go to the buffer's end every line.
        cr = lf = -2
        while start < length:
            if cr != -1 and cr < start:
                cr = buffer.find(b"\r", start)
            if lf != -1 and lf < start:
                lf = buffer.find(b"\n", start)
            end = lf if cr < 0 or (0 <= lf < cr) else cr
            if end < 0:
                break
            self._line(bytes(buffer[start:end]), events)
            start = end + 1
            if end == cr:  # \r\n is one line end; a \r at the chunk's end may be followed by \n
                if start < length and buffer[start] == 0x0A:
                    start += 1
                elif start == length:
                    self._skip_lf = True
        del buffer[:start]
        if len(buffer) > self.max_line_bytes:
            raise ProtocolError(
                f"an event-stream line is longer than {self.max_line_bytes} bytes", advice=_ADVICE
            )
        return events

    def close(self) -> list[SseEvent]:
        """The end of the stream: the last line and event even without their line ends (servers
        close without a trailing blank line). A stream of no SSE line is a ProtocolError."""
        events: list[SseEvent] = []
        if self._buffer:
            line, self._buffer = bytes(self._buffer), bytearray()
            self._line(line, events)
        self._dispatch(events)
        if self.events == 0 and self.other_lines:
            raise ProtocolError("the response is no event stream (no data: lines)", advice=_ADVICE)
        return events

    def _line(self, raw: bytes, events: list[SseEvent]) -> None:
        if len(raw) > self.max_line_bytes:
            raise ProtocolError(
                f"an event-stream line is longer than {self.max_line_bytes} bytes", advice=_ADVICE
            )
        line = raw.decode("utf-8", errors="replace")
        if not self._started:
            self._started = True
            line = line.removeprefix(_BOM)
        if not line:
            self._dispatch(events)
            return
        if line[0] == ":":
            return  # a comment (": keep-alive")
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._add_data(value, events)
        elif name == "id":
            if "\0" not in value:
                self._id = value.strip()
            self._had_id = self._had_id or bool(self._data)  # after its data: the event's end
        elif name == "event":
            self._event = value
        elif name != "retry":
            self.other_lines += 1

    def _add_data(self, value: str, events: list[SseEvent]) -> None:
        if self._data and (self._had_id or (value[:1] == "{" and self._whole_json())):
            self._dispatch(events)  # the next event began without a blank line
        self._size += len(value) + 1
        if self._size > self.max_event_bytes:
            raise ProtocolError(
                f"an event is larger than {self.max_event_bytes} bytes", advice=_ADVICE
            )
        self._data.append(value)

    def _whole_json(self) -> bool:
        """Whether the data so far is a whole JSON value (tried only when it ends in ``}``)."""
        if not self._data[-1].rstrip().endswith("}"):
            return False
        try:
            json.loads("\n".join(self._data))
        except ValueError:
            return False
        return True

    def _dispatch(self, events: list[SseEvent]) -> None:
        if self._data:
            events.append(SseEvent("\n".join(self._data), self._event or "message", self._id))
            self.events += 1
        self._data, self._size, self._event, self._had_id = [], 0, "", False
