"""The invocation builder: exact fields from plain inputs."""

from __future__ import annotations

from g4f.protocol import Style
from g4f.services.bing import Locale, build_invocation, option_sets_for

COMMON = [
    "nlu_direct_response_filter",
    "deepleo",
    "disable_emoji_spoken_text",
    "responsible_ai_policy_235",
    "enablemm",
    "dv3sugg",
]


def test_first_turn_has_exactly_the_protocol_fields() -> None:
    record = build_invocation(
        "Привет",
        conversation_id="51D|BingProd|X",
        client_id="1055518764239809",
        invocation_id=0,
        trace_id="ab" * 16,
        timestamp="2023-04-28T15:46:21+00:00",
        signature="sig=",
        style=Style.PRECISE,
        context="[user](#message)\nHi\n\n",
    )
    assert record == {
        "type": 4,
        "target": "chat",
        "invocationId": "0",
        "arguments": [
            {
                "source": "cib",
                "optionsSets": [*COMMON, "h3precise", "clgalileo"],
                "allowedMessageTypes": [
                    "Chat",
                    "InternalSearchQuery",
                    "Disengaged",
                    "Context",
                    "Progress",
                    "SemanticSerp",
                    "GenerateContentQuery",
                    "SearchQuery",
                    "ActionRequest",
                ],
                "sliceIds": [],
                "tone": "Precise",
                "traceId": "ab" * 16,
                "isStartOfSession": True,
                "message": {
                    "locale": "en-US",
                    "market": "en-US",
                    "region": "US",
                    "author": "user",
                    "inputMethod": "Keyboard",
                    "text": "Привет",
                    "messageType": "Chat",
                    "timestamp": "2023-04-28T15:46:21+00:00",
                },
                "conversationSignature": "sig=",
                "participant": {"id": "1055518764239809"},
                "conversationId": "51D|BingProd|X",
                "previousMessages": [
                    {
                        "author": "user",
                        "description": "[user](#message)\nHi\n\n",
                        "contextType": "WebPage",
                        "messageType": "Context",
                        "messageId": "discover-web--page-ping-mriduna-----",
                    }
                ],
            }
        ],
    }


def test_later_turn_is_not_a_start_and_omits_signature_and_context() -> None:
    record = build_invocation(
        "next",
        conversation_id="c",
        client_id="u",
        invocation_id=2,
        trace_id="0" * 32,
        timestamp="t",
        style=Style.CREATIVE,
        locale=Locale("de-DE", "de-DE", "DE"),
    )
    argument = record["arguments"][0]
    assert record["invocationId"] == "2"
    assert argument["isStartOfSession"] is False
    assert "conversationSignature" not in argument
    assert "previousMessages" not in argument
    assert argument["tone"] == "Creative"
    assert (argument["message"]["locale"], argument["message"]["region"]) == ("de-DE", "DE")


def test_styles_add_their_option_sets_and_search_can_be_turned_off() -> None:
    assert option_sets_for(Style.CREATIVE) == [
        *COMMON,
        "h3imaginative",
        "clgalileo",
        "gencontentv3",
    ]
    assert option_sets_for(Style.BALANCED) == [*COMMON, "galileo"]
    assert option_sets_for(Style.PRECISE, search=False) == [
        *COMMON,
        "h3precise",
        "clgalileo",
        "nosearchall",
    ]


def test_style_parse_accepts_names_and_rejects_others() -> None:
    assert Style.parse("Creative") is Style.CREATIVE
    assert Style.parse(Style.BALANCED) is Style.BALANCED
    try:
        Style.parse("jailbreak")
    except ValueError as exc:
        assert "creative, balanced, precise" in str(exc)
    else:
        raise AssertionError("expected ValueError")
