"""One message folder: the same messages reach the service as the same text, whichever entry
point they come through."""

from __future__ import annotations

import openai

import g4f
from g4f.api import ApiThread
from g4f.client import NO_RETRY, Client
from g4f.hub import Hub, HubThread, TurnRequest
from g4f.Provider.Providers.Bing import _create_completion

from .common import api_settings

MESSAGES = [
    {"role": "system", "content": "Answer in one word."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "How are you?"},
]
CONTEXT = (
    "[system](#message)\nAnswer in one word.\n\n"
    "[user](#message)\nHi\n\n"
    "[assistant](#message)\nHello!\n\n"
)


def test_every_entry_point_sends_the_same_prompt_and_context() -> None:
    seen: list[TurnRequest] = []

    def responder(request: TurnRequest) -> str:
        seen.append(request)
        return "Fine."

    with HubThread(Hub(responder=responder)) as url:
        assert "".join(_create_completion("gpt-4", MESSAGES, stream=True, url=url)) == "Fine."
        assert g4f.ChatCompletion.create(model="gpt-4", messages=MESSAGES, url=url) == "Fine."
        completion = Client(url=url).chat.completions.create(model="gpt-4", messages=MESSAGES)
        assert completion.choices[0].message.content == "Fine."
        with (
            ApiThread(api_settings(url=url, retry=NO_RETRY)) as api,
            openai.OpenAI(base_url=api + "/v1", api_key="unused", max_retries=0) as oai,
        ):
            answer = oai.chat.completions.create(model="gpt-4", messages=MESSAGES)  # type: ignore[arg-type]
            assert answer.choices[0].message.content == "Fine."
    assert [(r.prompt, r.context) for r in seen] == [("How are you?", CONTEXT)] * 4
