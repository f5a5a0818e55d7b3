"""The seed's surface: g4f.Provider.Providers.Bing and g4f.ChatCompletion."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator

import pytest

import g4f
from g4f.engine.fake import FakeBackend
from g4f.hub import Hub, HubThread, TurnRequest, echo_responder
from g4f.protocol import Final, Retraction, Style, TextDelta
from g4f.protocol.history import fold
from g4f.Provider.Providers import Bing
from g4f.Provider.Providers.Bing import _create_completion

from .seed import SEED_EXAMPLE

SEED_MESSAGES = [
    {"role": "user", "content": "Привет, как дела?"},
    {"role": "assistant", "content": "Хорошо, спасибо!"},
]
SEED_ANSWER = echo_responder(
    TurnRequest("Хорошо, спасибо!", context="[user](#message)\nПривет, как дела?\n\n")
).text


@pytest.fixture
def bing_url(thread_hub: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """G4F_BING_URL pointing at a hub in a background thread."""
    monkeypatch.setenv("G4F_BING_URL", thread_hub)
    yield thread_hub


def test_the_seed_example_prints_the_answer_token_by_token(
    bing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(SEED_EXAMPLE, "seed example", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == SEED_ANSWER


def test_the_seed_example_streams_several_tokens(bing_url: str) -> None:
    assert len(list(_create_completion("gpt-4", SEED_MESSAGES, stream=True))) > 5


def test_the_module_has_the_seeds_names() -> None:
    assert Bing.url == "https://bing.com/chat"
    assert Bing.model == ["gpt-4"]
    assert (Bing.supports_stream, Bing.needs_auth) == (True, False)
    assert Bing.params == "g4f.Providers.Bing supports: (model: str, messages: list, stream: bool)"
    assert inspect.iscoroutinefunction(Bing.create_conversation)
    assert inspect.isasyncgenfunction(Bing.stream_generate)
    assert g4f.Provider.Bing is Bing


def test_option_sets_are_the_three_styles_and_default_to_precise() -> None:
    assert Bing.optionsSets.optionSet == {"tone": str, "optionsSets": list}
    assert Bing.optionsSets.default == Bing.optionsSets.precise
    assert Bing.optionsSets.precise["tone"] == "Precise"
    assert "h3precise" in Bing.optionsSets.precise["optionsSets"]
    assert Bing.optionsSets.creative["tone"] == "Creative"
    assert Bing.optionsSets.balanced["tone"] == "Balanced"
    assert not hasattr(Bing.optionsSets, "jailbreak")


def test_defaults_carry_hints_but_no_client_address() -> None:
    assert Bing.Defaults.delimiter == "\x1e"
    assert "Chat" in Bing.Defaults.allowedMessageTypes
    assert Bing.Defaults.sliceIds == []
    assert Bing.Defaults.location["locale"] == "en-US"
    assert not hasattr(Bing.Defaults, "ip_address")
    assert "forwarded" not in json.dumps(vars(Bing.Defaults), default=str).lower()


def test_format_is_json_plus_delimiter() -> None:
    assert Bing._format({"protocol": "json", "version": 1}) == '{"protocol":"json","version":1}\x1e'


def test_convert_folds_messages_in_the_seeds_format() -> None:
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "system", "content": "Be brief."},
    ]
    assert Bing.convert(messages) == (
        "[user](#message)\nHi\n\n[assistant](#message)\nHello!\n\n[system](#message)\nBe brief.\n\n"
    )
    assert Bing.convert([]) == ""


def test_one_message_is_sent_without_context(bing_url: str) -> None:
    text = "".join(_create_completion("gpt-4", [{"role": "user", "content": "Hi"}], stream=True))
    assert text == echo_responder(TurnRequest("Hi")).text


def test_create_conversation_returns_ids_and_signature(bing_url: str) -> None:
    conversation_id, client_id, signature = asyncio.run(Bing.create_conversation())
    assert conversation_id.startswith("51D|BingProd|")
    assert client_id.isdigit()
    assert signature


def test_stream_generate_takes_a_mode_and_a_context(bing_url: str) -> None:
    async def collect() -> str:
        pieces = []
        async for piece in Bing.stream_generate(
            "Q", Bing.optionsSets.creative, "[user](#message)\nA\n\n"
        ):
            pieces.append(piece)
        return "".join(pieces)

    text = asyncio.run(collect())
    assert "Style: Creative" in text
    assert "I see 1 earlier message(s)" in text


async def test_run_works_inside_a_running_event_loop(bing_url: str) -> None:
    # As in a notebook: sync code called from a coroutine, with this thread's loop running.
    asyncio.get_running_loop()
    text = "".join(Bing.run(Bing.stream_generate("Hi from a notebook")))
    assert text == echo_responder(TurnRequest("Hi from a notebook")).text


async def test_create_completion_works_inside_a_running_event_loop(bing_url: str) -> None:
    text = "".join(_create_completion("gpt-4", SEED_MESSAGES, stream=True))
    assert text == SEED_ANSWER


def test_abandoning_the_stream_closes_the_connection(
    hub: Hub, hub_thread: HubThread, bing_url: str
) -> None:
    stream = _create_completion("gpt-4", [{"role": "user", "content": "a long question"}], True)
    assert next(stream)
    stream.close()  # type: ignore[attr-defined]
    hub_thread.wait_closed()
    assert (hub.websockets_opened, hub.open_websockets) == (1, 0)


def test_chat_completion_joins_the_text_when_not_streaming(bing_url: str) -> None:
    assert g4f.ChatCompletion.create(model="gpt-4", messages=SEED_MESSAGES) == SEED_ANSWER


def test_chat_completion_streams_tokens(bing_url: str) -> None:
    tokens = g4f.ChatCompletion.create(model="gpt-4", messages=SEED_MESSAGES, stream=True)
    assert not isinstance(tokens, str)
    tokens = list(tokens)
    assert len(tokens) > 5 and "".join(tokens) == SEED_ANSWER


def test_chat_completion_accepts_an_explicit_provider_and_url(thread_hub: str) -> None:
    text = g4f.ChatCompletion.create(
        "gpt-4", [{"role": "user", "content": "Hi"}], provider=g4f.Provider.Bing, url=thread_hub
    )
    assert text == echo_responder(TurnRequest("Hi")).text


def test_unknown_model_is_a_value_error_not_an_exit() -> None:
    with pytest.raises(ValueError, match="unknown model 'gpt-5'"):
        g4f.ChatCompletion.create(model="gpt-5", messages=SEED_MESSAGES)


@pytest.mark.parametrize(
    "messages",
    [[], "hello", [{"role": "user"}], [{"role": "user", "content": 5}], ["text"]],
)
def test_bad_messages_are_refused_before_any_request(messages: object) -> None:
    with pytest.raises(ValueError, match="messages"):
        _create_completion("gpt-4", messages, stream=True)  # type: ignore[arg-type]


def test_unknown_keyword_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="jailbreak"):
        _create_completion("gpt-4", SEED_MESSAGES, True, jailbreak=True)


def test_an_unknown_style_is_refused() -> None:
    backend = FakeBackend()
    with pytest.raises(ValueError, match="unknown style"):
        list(_create_completion("gpt-4", SEED_MESSAGES, True, style="jailbreak", backend=backend))
    assert backend.asked == []


def test_errors_keep_the_partial_text(hub: Hub, bing_url: str) -> None:
    hub.scenario = "malformed"
    received = []
    with pytest.raises(g4f.errors.ProtocolError) as caught:
        for token in _create_completion(
            "gpt-4", [{"role": "user", "content": "some question"}], True
        ):
            received.append(token)
    assert caught.value.partial_text == "".join(received)
    assert received


def test_hub_thread_reports_a_failed_start() -> None:
    with HubThread(Hub()) as url, pytest.raises(OSError):
        HubThread(Hub(), port=int(url.rsplit(":", 1)[1])).start()


# -- the seed's API on a fake backend ---------------------------------------------------------


def test_create_completion_runs_the_turn_on_a_given_backend() -> None:
    backend = FakeBackend([TextDelta("Fine, "), TextDelta("thanks."), Final("Fine, thanks.")])
    tokens = list(
        _create_completion("gpt-4", SEED_MESSAGES, True, style="creative", backend=backend)
    )
    assert tokens == ["Fine, ", "thanks."]
    prompt, context = fold([(m["role"], m["content"]) for m in SEED_MESSAGES])
    [asked] = backend.asked
    assert (asked.prompt, asked.context, asked.style, asked.search) == (
        prompt,
        context,
        Style.CREATIVE,
        True,
    )
    assert (backend.stopped, backend.closed) == (0, False)  # borrowed: its owner closes it


def test_chat_completion_passes_the_backend_to_the_provider() -> None:
    backend = FakeBackend()
    text = g4f.ChatCompletion.create(
        model="gpt-4", messages=[{"role": "user", "content": "Hi"}], backend=backend, search=False
    )
    assert text == "Echo: Hi"
    assert (backend.asked[0].style, backend.asked[0].search) == (Style.PRECISE, False)


def test_a_retraction_appends_the_apology_after_a_blank_line() -> None:
    apology = "Sorry, let's talk about something else."
    backend = FakeBackend([TextDelta("Half "), Retraction("Half ", apology), Final(apology)])
    text = "".join(_create_completion("gpt-4", SEED_MESSAGES, True, backend=backend))
    assert text == "Half \n\n" + apology


def test_a_failure_on_the_backend_keeps_the_partial_text() -> None:
    backend = FakeBackend([TextDelta("Half "), g4f.errors.ConnectionClosed("closed")])
    received = []
    with pytest.raises(g4f.errors.ConnectionClosed) as caught:
        for token in _create_completion("gpt-4", SEED_MESSAGES, True, backend=backend):
            received.append(token)
    assert received == ["Half "] and caught.value.partial_text == "Half "


def test_a_given_backend_takes_no_options_for_making_one() -> None:
    with pytest.raises(TypeError, match="url, cookies"):
        _create_completion(
            "gpt-4", SEED_MESSAGES, True, backend=FakeBackend(), url="http://x", cookies="_U=1"
        )


def test_stopping_the_stream_stops_the_turn_on_the_backend() -> None:
    backend = FakeBackend([TextDelta("one "), TextDelta("two "), Final("one two ")])
    stream = _create_completion("gpt-4", SEED_MESSAGES, True, backend=backend)
    assert next(stream) == "one "
    stream.close()  # type: ignore[attr-defined]
    assert backend.stopped == 1
