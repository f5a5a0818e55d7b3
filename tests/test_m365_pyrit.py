"""Microsoft's PyRIT ``WebSocketCopilotTarget`` (its one module, loaded alone: see
:mod:`tests.pyrit_loader`) holds a two-turn conversation with the hub: it sends the token raw
in the URL, the thin invocation without ``Metrics``, and reads ``result.message``."""

from __future__ import annotations

import types
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from g4f.hub import Hub, make_test_token, running_hub
from g4f.hub.m365.token import claims_of

from .pyrit_loader import load_websocket_copilot_target, pyrit_source

SOURCE = pyrit_source()


@pytest.fixture(autouse=True)
def _pyrit_is_there() -> None:
    """Never skipped: without PyRIT this fails, saying how to install it (the README's test
    command does)."""
    if SOURCE is None:
        pytest.fail("pyrit is not installed: python -m pip install --no-deps pyrit")


@dataclass
class _Authenticator:
    """PyRIT's ManualCopilotAuthenticator, as far as the target uses it."""

    token: str

    async def get_token_async(self) -> str:
        return self.token

    async def get_claims_async(self) -> dict[str, Any]:
        return claims_of(self.token)


@dataclass
class _Piece:
    converted_value: str
    converted_value_data_type: str = "text"


def _target(module: types.ModuleType, url: str, token: str) -> Any:
    target = module.WebSocketCopilotTarget(
        authenticator=_Authenticator(token), response_timeout_seconds=30
    )
    # It takes wss:// only; the hub serves plain ws:// on loopback.
    target._websocket_base_url = url.replace("http://", "ws://") + "/m365Copilot/Chathub"
    return target


async def test_pyrit_holds_a_two_turn_conversation_with_the_hub(hub: Hub) -> None:
    assert SOURCE is not None
    module = load_websocket_copilot_target(SOURCE)
    token = make_test_token()
    assert not set("+/=") & set(token)  # base64url, as real tokens: PyRIT sends it raw
    session_id, conversation_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_hub(hub) as url:
        target = _target(module, url, token)
        answers = [
            await target._connect_and_send_async(
                message_pieces=[_Piece(prompt)],
                session_id=session_id,
                copilot_conversation_id=conversation_id,
                is_start_of_session=first,
            )
            for prompt, first in (("One", True), ("Two", False))
        ]
        await hub.wait_closed()
    assert list(hub.m365.rejections) == []
    assert "«One»" in answers[0]
    assert "you last said: «One»" in answers[1]  # the hub kept the first turn
    assert hub.websockets_opened == 2 and hub.m365.metrics_with_invocation == 0
