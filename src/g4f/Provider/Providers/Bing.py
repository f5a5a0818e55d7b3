"""The seed's Bing provider for ``gpt-4``: gpt4free's module API over the ChatHub engine.

Usage, as in the seed::

    from g4f.Provider.Providers.Bing import _create_completion

    messages = [{"role": "user", "content": "Привет, как дела?"}]
    for token in _create_completion("gpt-4", messages, stream=True):
        print(token, end="")

Set ``G4F_BING_URL`` (e.g. ``http://127.0.0.1:8765``, a hub started by ``g4f hub``) or pass
``url=`` to talk to another server than Bing; ``backend=`` runs the turn on a ready
:class:`~g4f.engine.backend.Backend` instead (e.g. a :class:`~g4f.engine.fake.FakeBackend`).
Unlike the seed, this module sends no forged client address and has no option set for getting
around the service's rules: :class:`optionsSets` holds the three official styles instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, get_type_hints

from ...engine.backend import Backend
from ...engine.config import Timeouts
from ...errors import G4FError
from ...models import seed_models
from ...protocol import RECORD_SEPARATOR, Retraction, Style, TextDelta, encode_record
from ...protocol.history import fold, format_context
from ...services.bing import BingClient
from ...services.bing.constants import ALLOWED_MESSAGE_TYPES, style_tone
from ...services.bing.entry import BING, SWITCHED_OFF
from ...services.bing.invocation import option_sets_for
from ...services.registry import backend_for
from ...sync import iterate_sync

__all__ = [
    "Defaults",
    "_create_completion",
    "_format",
    "convert",
    "create_conversation",
    "model",
    "needs_auth",
    "optionsSets",
    "params",
    "run",
    "stream_generate",
    "supports_stream",
    "url",
]

log = logging.getLogger(__name__)

url = "https://bing.com/chat"
model = seed_models(__name__)
supports_stream = True
needs_auth = False


def _option_set(style: Style) -> dict[str, Any]:
    return {"tone": style_tone(style), "optionsSets": option_sets_for(style)}


class optionsSets:
    """Option sets per conversation style; ``optionSet`` describes their structure.

    The seed's rule-bypassing set is replaced by the three official styles; ``default`` is
    ``precise``, the tone the seed's set carried (``h3precise``).
    """

    optionSet: dict[str, type] = {"tone": str, "optionsSets": list}

    creative: dict[str, Any] = _option_set(Style.CREATIVE)
    balanced: dict[str, Any] = _option_set(Style.BALANCED)
    precise: dict[str, Any] = _option_set(Style.PRECISE)
    default: dict[str, Any] = precise


class Defaults:
    """Values sent with every request (never a client IP address).

    ``location`` carries language and market; ``locationHints`` is empty so that no location is
    claimed on the user's behalf. ``sliceIds`` is empty: the seed's experiment ids expired and the
    service accepts an empty list.
    """

    delimiter = RECORD_SEPARATOR
    allowedMessageTypes: list[str] = list(ALLOWED_MESSAGE_TYPES)
    sliceIds: list[str] = []
    location: dict[str, Any] = {
        "locale": "en-US",
        "market": "en-US",
        "region": "US",
        "locationHints": [],
    }


def _format(msg: dict[str, Any]) -> str:
    """One record: ``msg`` as JSON followed by the delimiter ``\\x1e``.

    >>> _format({"protocol": "json", "version": 1})
    '{"protocol":"json","version":1}\\x1e'
    """
    return encode_record(msg)


async def create_conversation(
    url: str | None = None, cookies: str | None = None
) -> tuple[str, str, str | None]:
    """Create a conversation; return (conversation id, client id, conversation signature).

    The signature is ``None`` when the service sent only the encrypted one (Oct 2023+ shape).
    """
    async with BingClient(url=url, cookies=cookies) as client:
        conversation = await client.create_conversation()
    return conversation.conversation_id, conversation.client_id, conversation.signature


def _style_of(mode: dict[str, Any] | Style | str | None) -> Style:
    if mode is None:
        return Style.PRECISE
    if isinstance(mode, dict):
        tone = mode.get("tone")
        if not isinstance(tone, str):
            raise ValueError("mode must be one of optionsSets.creative/balanced/precise")
        return Style.parse(tone)
    return Style.parse(mode)


_CLIENT_OPTIONS = ("url", "cookies", "proxy", "timeouts")
"""The options of the backend this module makes, which a ready backend does not take."""


def _check_ready(backend: Backend | None, options: Mapping[str, Any]) -> None:
    """``TypeError`` if a ready ``backend`` comes with options for making one."""
    given = [name for name in _CLIENT_OPTIONS if options.get(name) is not None]
    if backend is not None and given:
        raise TypeError(f"a ready backend takes no {', '.join(given)}: give them to it instead")


@contextlib.asynccontextmanager
async def _backend(backend: Backend | None, **options: Any) -> AsyncIterator[Backend]:
    """``backend`` as it is (its owner closes it), or else Bing's, made from ``options`` (the
    ``None`` ones left out) and closed after the turn."""
    _check_ready(backend, options)
    if backend is not None:
        yield backend
        return
    async with backend_for(BING.name, **options) as made:
        try:
            yield made
        except G4FError as exc:
            if BING.default_unreachable(exc, options.get("url")):
                exc.advice = SWITCHED_OFF  # Bing's own hosts, unreachable: the service is gone
            raise


async def stream_generate(
    prompt: str,
    mode: dict[str, Any] | Style | str | None = None,
    context: bool | str = False,
    *,
    url: str | None = None,
    cookies: str | None = None,
    proxy: str | None = None,
    timeouts: Timeouts | None = None,
    search: bool = True,
    backend: Backend | None = None,
) -> AsyncIterator[str]:
    """Stream the answer to ``prompt`` as text pieces, in a new conversation.

    ``mode`` is one of :class:`optionsSets`' styles (default ``precise``); ``context`` is earlier
    history as made by :func:`convert`. If the service retracts the answer, the apology follows
    what was streamed, after a blank line; it is never replaced by the retracted text.
    ``backend`` runs the turn on a ready backend instead of Bing's (then without ``url``,
    ``cookies``, ``proxy`` or ``timeouts``).
    """
    style = _style_of(mode)
    options = {"url": url, "cookies": cookies, "proxy": proxy, "timeouts": timeouts}
    async with _backend(backend, **options) as chosen:
        async for event in chosen.ask(
            prompt,
            style=style,
            context=context if isinstance(context, str) else None,
            search=search,
        ):
            if isinstance(event, TextDelta):
                yield event.text
            elif isinstance(event, Retraction):
                log.warning("the service retracted its answer")
                yield "\n\n" + event.apology


def run(generator: AsyncIterator[str]) -> Iterator[str]:
    """Turn an async generator into a sync one; works inside a running event loop too."""
    return iterate_sync(generator)


def convert(messages: list[dict[str, str]]) -> str:
    """Fold messages into the seed's context block: ``"[role](#message)\\ncontent\\n\\n"`` each.

    >>> convert([{"role": "user", "content": "Hi"}])
    '[user](#message)\\nHi\\n\\n'
    """
    return format_context([(message["role"], message["content"]) for message in messages])


def _check_messages(messages: object) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ValueError(f"messages[{i}] is not a dict")
        for key in ("role", "content"):
            if not isinstance(message.get(key), str):
                raise ValueError(f"messages[{i}] needs a string {key!r}")
    return messages


def _create_completion(
    model: str,
    messages: list,  # type: ignore[type-arg]  # the seed's signature, shown in `params`
    stream: bool,
    **kwargs: Any,
) -> Iterator[str]:
    """Stream the answer to ``messages``: the last is the prompt, the rest its context.

    Keyword arguments: ``url``, ``cookies``, ``proxy``, ``timeouts``, ``search`` and ``style``
    (``"creative"``, ``"balanced"`` or ``"precise"``; ``mode=`` takes an :class:`optionsSets`
    entry); ``backend``, a ready :class:`~g4f.engine.backend.Backend` to run the turn on instead
    of Bing's (see :func:`stream_generate`). Problems raise :class:`~g4f.errors.G4FError`
    subclasses, whose ``partial_text`` holds the answer received before the failure.
    """
    checked = _check_messages(messages)
    served = seed_models(__name__)  # the module's `model` list, hidden by the seed's parameter
    if model not in served:
        raise ValueError(f"the Bing provider serves {served}, not {model!r}")
    prompt, context = fold([(m["role"], m["content"]) for m in checked])
    mode = kwargs.pop("mode", None) or kwargs.pop("style", None)
    unknown = set(kwargs) - {"url", "cookies", "proxy", "timeouts", "search", "auth", "backend"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    kwargs.pop("auth", None)
    _check_ready(kwargs.get("backend"), kwargs)
    return run(stream_generate(prompt, mode, context or False, **kwargs))


params = f"g4f.Providers.{os.path.basename(__file__)[:-3]} supports: " + "(%s)" % ", ".join(
    f"{name}: {get_type_hints(_create_completion)[name].__name__}"
    for name in _create_completion.__code__.co_varnames[: _create_completion.__code__.co_argcount]
)
