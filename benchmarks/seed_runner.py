"""Runs inside the seed venv (see seed_env.py): times g4f 0.0.1.5's Bing provider.

Only the Bing module is loaded (the package's __init__ imports other providers), and its two
URLs are pointed at the local hub by patching at run time. Modes:

  seed_runner.py ttft URL RUNS            time to first token of _create_completion
  seed_runner.py decode TRANSCRIPT ROUNDS time of its per-record loop over a transcript
"""

import asyncio
import importlib
import importlib.util
import json
import os
import sys
import time
import types


def load_bing():
    spec = importlib.util.find_spec("g4f")
    root = os.path.dirname(spec.origin)
    for name, sub in (
        ("g4f", ""),
        ("g4f.Provider", "Provider"),
        ("g4f.Provider.Providers", os.path.join("Provider", "Providers")),
    ):
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(root, sub)]
        sys.modules[name] = module
    return importlib.import_module("g4f.Provider.Providers.Bing")


def _clean(headers):
    # The seed sent a made-up X-Forwarded-For; even towards the local hub we leave it out.
    return {k: v for k, v in (headers or {}).items() if k.lower() != "x-forwarded-for"}


def point_at(base):
    import aiohttp
    import requests

    real_get, real_ws = requests.get, aiohttp.ClientSession.ws_connect
    ws_base = base.replace("http://", "ws://", 1)

    def get(url, headers=None, **kwargs):
        return real_get(
            url.replace("https://www.bing.com", base), headers=_clean(headers), **kwargs
        )

    def ws_connect(self, url, **kwargs):
        kwargs.pop("ssl", None)
        kwargs["headers"] = _clean(kwargs.get("headers"))
        return real_ws(self, url.replace("wss://sydney.bing.com", ws_base), **kwargs)

    requests.get = get
    aiohttp.ClientSession.ws_connect = ws_connect


def ttft(base, runs):
    bing = load_bing()
    point_at(base)
    messages = [{"role": "user", "content": "Привет, как дела?"}]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        first = None
        for token in bing._create_completion("gpt-4", messages, True):
            if token and first is None:
                first = time.perf_counter() - start
        times.append(first)
    return {"ttft": times}


class _Message:
    def __init__(self, data):
        self.data = data


class _FakeWebSocket:
    def __init__(self, messages):
        self._messages = iter(["{}\x1e", *messages])
        self.closed = False

    async def send_str(self, text):
        pass

    async def receive(self, timeout=None):  # noqa: ASYNC109 - aiohttp's signature
        return _Message(next(self._messages))

    async def close(self):
        self.closed = True


class _FakeSession:
    messages = []  # noqa: RUF012 - set once per run

    def __init__(self, *args, **kwargs):
        self.closed = False

    async def ws_connect(self, *args, **kwargs):
        return _FakeWebSocket(_FakeSession.messages)

    async def close(self):
        self.closed = True


class _Created:
    def json(self):
        return {"conversationId": "c", "clientId": "u", "conversationSignature": "s"}


def decode(path, rounds):
    import aiohttp
    import requests

    bing = load_bing()
    with open(path, encoding="utf-8") as file:
        _FakeSession.messages = json.load(file)
    requests.get = lambda *args, **kwargs: _Created()
    aiohttp.ClientSession = _FakeSession

    async def consume():
        pieces = []
        async for piece in bing.stream_generate("prompt"):
            pieces.append(piece)
        return "".join(pieces)

    times, text = [], ""
    for _ in range(rounds):
        start = time.perf_counter()
        text = asyncio.run(consume())
        times.append(time.perf_counter() - start)
    return {"seconds": times, "text_chars": len(text)}


if __name__ == "__main__":
    mode = sys.argv[1]
    result = (
        ttft(sys.argv[2], int(sys.argv[3]))
        if mode == "ttft"
        else decode(sys.argv[2], int(sys.argv[3]))
    )
    print(json.dumps(result))
