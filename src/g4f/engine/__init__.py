"""The engine: everything that moves bytes, for every service.

:mod:`.backend` is the turn-level seam the surfaces use (:class:`Backend`,
:class:`Capabilities`); :mod:`.chathub` runs any ChatHub dialect (:mod:`.dialect`) over the
websocket transport (:mod:`.websocket`) and HTTP (:mod:`.http`), with retries (:mod:`.retry`),
timeouts and limits (:mod:`.config`), proxies, and the cassette recorder; :mod:`.fake` is a
backend fed a script of events, for tests.
"""

from .backend import Backend, Capabilities
from .chathub import ChatHubClient
from .config import Limits, Timeouts
from .dialect import ChatHubDialect, Turn
from .fake import FakeBackend
from .images import Image
from .retry import NO_RETRY, RetryPolicy

__all__ = [
    "NO_RETRY",
    "Backend",
    "Capabilities",
    "ChatHubClient",
    "ChatHubDialect",
    "FakeBackend",
    "Image",
    "Limits",
    "RetryPolicy",
    "Timeouts",
    "Turn",
]
