"""What several test modules share: the standard prompt and its answers, one fake clock,
builders for the server's records (written here by hand, independently of the hub's builders)
and the API's settings from flat names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from g4f import errors
from g4f.api.settings import ApiSettings, HttpLimits, StoreSettings, Upstream
from g4f.api.store import ConversationStore, MemoryStore, SqliteStore
from g4f.hub import TurnRequest, echo_responder

PROMPT = "Tell me about the ChatHub protocol in a few words"
"""The prompt most tests ask."""
ANSWER = echo_responder(TurnRequest(PROMPT)).text
"""The hub's default answer to :data:`PROMPT`."""
HALF = ANSWER[: len(ANSWER) // 2]
"""What the hub's broken scenarios stream before they break."""
USER = [{"role": "user", "content": PROMPT}]
""":data:`PROMPT` as OpenAI-style messages."""
RESULT_ERRORS = [
    ("Throttled", errors.RateLimited),
    ("PerHourThrottled", errors.RateLimited),
    ("CaptchaChallenge", errors.ChallengeRequired),
    ("UnauthorizedRequest", errors.NotAuthorized),
    ("InvalidSession", errors.ConversationExpired),
    ("InvalidRequest", errors.ConversationInvalid),
    ("ProcessingMessage", errors.Busy),
    ("SomethingNew", errors.RequestRefused),
]
"""Each failed ``result.value`` and the error class it must become (CHATHUB.md §4)."""


class FakeClock:
    """A clock that moves only when something sleeps on it, or when a test moves it.

    Call it for the time; pass :meth:`sleep` where a sleep is injectable; it records the delays.
    """

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds


def bot(text: str, message_id: str = "m1", **extra: Any) -> dict[str, Any]:
    """A bot answer message in Bing's card shape."""
    return {
        "author": "bot",
        "text": text,
        "messageId": message_id,
        "contentOrigin": "DeepLeo",
        "adaptiveCards": [
            {
                "type": "AdaptiveCard",
                "version": "1.0",
                "body": [{"type": "TextBlock", "text": text, "wrap": True}],
            }
        ],
        **extra,
    }


def update(*messages: dict[str, Any]) -> dict[str, Any]:
    """A type-1 update record carrying ``messages``."""
    return {
        "type": 1,
        "target": "update",
        "arguments": [{"requestId": "r", "messages": list(messages)}],
    }


_HTTP_LIMITS = frozenset(
    {
        "max_body_bytes",
        "max_messages",
        "max_connections",
        "max_header_bytes",
        "header_timeout",
        "keep_alive",
    }
)
_STORE = {"store": "url", "store_key": "key", "conversation_ttl": "ttl", "max_conversations": "cap"}
_WHOLE = frozenset({"api_key", "cors_origins", "docs", "ui", "workers", "ready_cache"})


def api_settings(**flat: Any) -> ApiSettings:
    """:class:`ApiSettings` from the flat names of ``g4f api``'s flags (``url``, ``token``,
    ``max_body_bytes``, ``store``, ``store_key``, …), each put in its part."""
    http = {name: flat.pop(name) for name in list(flat) if name in _HTTP_LIMITS}
    store = {_STORE[name]: flat.pop(name) for name in list(flat) if name in _STORE}
    whole = {name: flat.pop(name) for name in list(flat) if name in _WHOLE}
    return ApiSettings(
        upstream=Upstream.of(**flat),
        http=HttpLimits(**http),
        store=StoreSettings(**store),
        **whole,
    )


def local_store(
    kind: str, folder: Path, *, ttl: float, cap: int, clock: FakeClock
) -> ConversationStore:
    """A ``"memory"`` or ``"sqlite"`` store (its file in ``folder``) on ``clock``; not opened."""
    if kind == "memory":
        return MemoryStore(ttl=ttl, cap=cap, clock=clock)
    return SqliteStore(folder / "c.sqlite3", ttl=ttl, cap=cap, clock=clock)
