"""The pure SSE reader (g4f.protocol.sse) and the Chat API's snapshot reader: every layout of
M365-CHAT-API.md §4, bounds, rewrites, refusals, and a bounded fuzz test."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from g4f.errors import G4FError, ProtocolError, Refused
from g4f.protocol import Final, Sources, TextDelta
from g4f.protocol.sse import SseDecoder, SseEvent
from g4f.services.chatapi.snapshots import SnapshotReader

FUZZ = settings(max_examples=150, deadline=None)


def _all(stream: bytes, step: int | None = None) -> list[SseEvent]:
    decoder = SseDecoder(max_line_bytes=4096, max_event_bytes=8192)
    events: list[SseEvent] = []
    size = step or len(stream) or 1
    for start in range(0, len(stream), size):
        events += decoder.feed(stream[start : start + size])
    return events + decoder.close()


def _snap(text: str | None, *, final: bool = False, state: str = "active") -> dict[str, object]:
    messages = [] if text is None else [{"text": text, "attributions": []}]
    if final:
        messages.insert(0, {"text": "Hi"})
    return {"id": "c1", "displayName": "Hi" if final else "Intermediate Conversation Update",
            "state": state, "turnCount": 1 if final else 0, "messages": messages}  # fmt: skip


SNAPSHOTS = [_snap(None), _snap("Hel"), _snap("Hello"), _snap("Hello world", final=True)]


def _layout(name: str) -> bytes:
    out = []
    for n, snap in enumerate(SNAPSHOTS, 1):
        compact = json.dumps(snap, separators=(",", ":"))
        if name == "compact":
            out.append(f"data: {compact}\nid:{n} \n\n")
        elif name == "pretty":
            lines = json.dumps(snap, indent=2).splitlines()
            out.append("".join(f"data: {line}\n" for line in lines) + "\n")
        elif name == "crlf_no_blank":
            out.append(f"data: {compact}\r\n" + (f"id:{n} \r\n" if n % 2 else "") + ": ka\r\n")
        elif name == "pretty_no_blank":
            lines = json.dumps(snap, indent=2).splitlines()
            out.append("".join(f"data:{line}\r\n" for line in lines))
    return "".join(out).encode()


@pytest.mark.parametrize("layout", ["compact", "pretty", "crlf_no_blank", "pretty_no_blank"])
@pytest.mark.parametrize("step", [None, 1, 7])
def test_every_layout_gives_the_same_events_in_any_chunking(layout: str, step: int | None) -> None:
    events = _all(_layout(layout), step)
    assert [json.loads(e.data) for e in events] == SNAPSHOTS


def test_compact_events_keep_their_id_without_the_trailing_space() -> None:
    assert [e.id for e in _all(_layout("compact"))] == ["1", "2", "3", "4"]


def test_a_bom_comments_unknown_fields_and_a_missing_final_newline_are_read() -> None:
    events = _all(b'\xef\xbb\xbf: hello\nevent: update\nretry: 5\nfoo: bar\ndata: {"a":1}')
    assert events == [SseEvent('{"a":1}', "update", None)]


def test_a_line_past_the_bound_is_a_protocol_error_not_growth() -> None:
    decoder = SseDecoder(max_line_bytes=64, max_event_bytes=1024)
    with pytest.raises(ProtocolError, match="longer than 64"):
        for _ in range(10):
            decoder.feed(b"data: " + b"x" * 20)


def test_an_event_past_the_bound_is_a_protocol_error() -> None:
    decoder = SseDecoder(max_line_bytes=64, max_event_bytes=100)
    with pytest.raises(ProtocolError, match="larger than 100"):
        decoder.feed(b"data: [xxxxxxxxxxxxxxxxxxxx\n" * 10)


def test_a_body_of_no_event_stream_lines_is_refused_for_what_it_holds() -> None:
    decoder = SseDecoder()
    decoder.feed(b"<html><body>Sign in</body></html>\n")
    with pytest.raises(ProtocolError, match="no event stream"):
        decoder.close()


def _read(texts: list[dict[str, object]]) -> tuple[str, list[object]]:
    reader = SnapshotReader("Hi")
    events: list[object] = []
    for snap in texts:
        events += reader.feed(json.dumps(snap))
    events += reader.finish()
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    return shown, events


def test_snapshots_become_deltas_shown_once_and_the_last_text_is_final() -> None:
    shown, events = _read([*SNAPSHOTS, _snap(None)])  # an empty event after the last too
    assert shown == "Hello world"
    assert events[-1] == Final("Hello world", conversation_id="c1", answer="Hello world")


def test_a_rewritten_snapshot_never_duplicates_text_and_the_last_one_wins() -> None:
    shown, events = _read([_snap("Hi [^1^]"), _snap("Hi [Doc](u)"), _snap("Hi [Doc](u) more"),
                           _snap("Hi [Doc](u) more.", final=True)])  # fmt: skip
    assert shown == "Hi [^1^] more."
    assert isinstance(events[-1], Final) and events[-1].text == "Hi [Doc](u) more."


def test_citations_become_sources_and_annotations_do_not() -> None:
    last = _snap("See [^1^]", final=True)
    last["messages"][-1]["attributions"] = [  # type: ignore[index]
        {
            "attributionType": "citation",
            "providerDisplayName": "Spec",
            "seeMoreWebUrl": "https://s/1",
        },
        {"attributionType": "annotation", "providerDisplayName": "", "seeMoreWebUrl": "https://p"},
    ]
    _, events = _read([last])
    assert events[-2] == Sources((type(events[-2].items[0])("Spec", "https://s/1"),))  # type: ignore[union-attr]


def test_disengaged_for_rai_is_a_refusal_and_unknown_states_are_tolerated() -> None:
    shown, _ = _read([_snap("ok", state="somethingNew"), _snap("ok!", final=True)])
    assert shown == "ok!"
    with pytest.raises(Refused) as caught:
        _read([_snap("I can't", final=True, state="disengagedForRai")])
    assert caught.value.result_value == "disengagedForRai"


@FUZZ
@given(st.binary(max_size=400), st.integers(min_value=1, max_value=50))
def test_fuzz_any_bytes_give_events_or_a_typed_error(data: bytes, step: int) -> None:
    reader = SnapshotReader("Hi")
    try:
        for event in _all(data, step):
            reader.feed(event.data)
        reader.finish()
    except G4FError:
        pass


@FUZZ
@given(st.lists(st.text(max_size=30), max_size=8), st.sampled_from(["\n", "\r\n", "\r"]))
def test_fuzz_growing_snapshots_show_the_final_text_exactly_once(
    words: list[str], newline: str
) -> None:
    texts = ["".join(words[: i + 1]) for i in range(len(words))]
    stream = "".join(f"data: {json.dumps(_snap(t))}{newline}{newline}" for t in texts).encode()
    shown, events = _read([json.loads(e.data) for e in _all(stream, 5)])
    assert shown == (texts[-1] if texts else "")
    assert isinstance(events[-1], Final)
