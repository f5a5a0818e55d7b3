"""The hub closes its websockets as a server should: its close frame, then the client's answer
to it, and only then the TCP connection.

Dropping the connection at once (what aiohttp does when ``close()`` is called while another
task is waiting in ``receive()``) loses answers: a client still sending — a late answer to the
hub's ping — gets a TCP reset, and a reset makes the client's kernel discard what it had
received and not yet read (the final record, the close): the turn then fails with
``ConnectionClosed`` although the hub sent all of it.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import aiohttp
import pytest

from g4f.hub import Hub, make_test_token, running_hub
from g4f.hub.m365 import TEST_OID, TEST_TID
from g4f.hub.m365.spec import (
    ACCESS_TOKEN_PARAM,
    CHATHUB_PATH,
    CONVERSATION_ID_PARAM,
    SESSION_ID_PARAM,
)
from g4f.protocol.framing import HANDSHAKE_REQUEST, encode_records
from g4f.services.m365 import build_m365_invocation

CLIENT_CODE = 4321
"""The close code the client answers the hub's close with (not aiohttp's default 1000)."""


def _chathub_url(base: str, conversation_id: str) -> str:
    query = {
        ACCESS_TOKEN_PARAM: make_test_token(),
        CONVERSATION_ID_PARAM: conversation_id,
        SESSION_ID_PARAM: str(uuid.uuid4()),
    }
    path = CHATHUB_PATH.format(oid=TEST_OID, tid=TEST_TID)
    return base.replace("http://", "ws://") + path + "?" + urlencode(query)


@pytest.mark.parametrize("latency", [0.0, 0.001])
async def test_the_hub_waits_for_the_clients_answer_to_its_close(latency: float) -> None:
    hub = Hub(latency=latency)  # m365 "stream": the answer, type 7, then the hub closes
    conversation_id = str(uuid.uuid4())
    invocation = build_m365_invocation(
        "Hello", conversation_id=conversation_id, session_id="s", turn_id=uuid.uuid4().hex
    )
    texts: list[str] = []
    async with running_hub(hub) as url, aiohttp.ClientSession() as session:
        # autoclose=False: the hub's close frame is seen here and answered by hand.
        async with session.ws_connect(_chathub_url(url, conversation_id), autoclose=False) as ws:
            await ws.send_str(HANDSHAKE_REQUEST)
            await ws.send_str(encode_records(invocation))
            while (message := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
                texts.append(message.data)
            assert message.type is aiohttp.WSMsgType.CLOSE  # the hub closed, cleanly
            # Still sending after the hub's close frame: a server that closes properly reads
            # (and drops) this until the close frame that answers its own.
            await ws.send_str('{"type":6}\x1e')
            await ws.close(code=CLIENT_CODE)
        await hub.wait_closed()
    assert '"type":2' in "".join(texts) and texts[-1] == '{"type":7,"allowReconnect":true}\x1e'
    # The hub read the client's answer before dropping the connection.
    assert list(hub.close_codes) == [CLIENT_CODE]
