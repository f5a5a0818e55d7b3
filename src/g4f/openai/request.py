"""Checking an OpenAI-style chat request and folding its messages, before any network work."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.backend import Capabilities
from ..engine.images import Image
from ..errors import BadRequest, UnknownModel
from ..protocol.constants import Style
from ..protocol.history import fold
from ..services import registry
from ..services.registry import DEFAULT_SERVICE
from ..services.spec import Model
from .limits import MAX_STOP_LENGTH, MAX_STOP_SEQUENCES

__all__ = [
    "BadRequest",
    "CompletionRequest",
    "Prompt",
    "UnknownModel",
    "default_model",
    "estimate_tokens",
    "fold_messages",
    "model_for",
    "style_for",
]


def model_for(model: str, service: str = DEFAULT_SERVICE) -> Model:
    """The model a model id stands for on ``service``, or :class:`UnknownModel` listing the
    service's models.

    >>> model_for("bing-creative").style.value
    'creative'
    """
    served = registry.entry(service)
    found = served.find_model(model)
    if found is None:
        available = ", ".join(m.id for m in served.models)
        more = f", or {served.model_prefix}<Tone>" if served.model_prefix else ""
        raise UnknownModel(
            f"The model '{model}' does not exist; available: {available}{more}",
            param="model",
            code="model_not_found",
        )
    return found


def style_for(model: str) -> Style:
    """The style a Bing model id stands for, or :class:`UnknownModel`.

    >>> style_for("bing-creative").value
    'creative'
    """
    return model_for(model).style


def default_model(service: str) -> str:
    """The model of requests that name none."""
    return registry.entry(service).default_model


def estimate_tokens(text: str) -> int:
    """An honest estimate of the tokens in ``text``: about four characters per token.

    ChatHub reports no token counts; this is the usual rule of thumb, not a tokenizer.
    """
    return math.ceil(len(text) / 4)


def _content(content: Any, index: int) -> tuple[str, list[Image]]:
    """A message's text, and its images (``image_url`` parts holding ``data:`` URLs)."""
    if isinstance(content, str):
        return content, []
    if isinstance(content, list):
        texts, images = [], []
        for number, part in enumerate(content):
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind == "text":
                texts.append(str(part.get("text") or ""))
            elif kind == "image_url":
                images.append(_image(part.get("image_url"), f"messages[{index}].content[{number}]"))
            else:
                raise BadRequest(
                    "Only text and image_url content parts are supported.",
                    param=f"messages[{index}].content",
                )
        return "".join(texts), images
    raise BadRequest(
        "Message content must be a string or a list of content parts.",
        param=f"messages[{index}].content",
    )


def _image(value: Any, param: str) -> Image:
    url = value.get("url") if isinstance(value, Mapping) else value
    if not isinstance(url, str):
        raise BadRequest("An image_url part needs a url.", param=param)
    try:
        return Image.from_data_url(url)
    except ValueError as exc:
        raise BadRequest(f"The image cannot be used: {exc}.", param=param) from None


@dataclass(frozen=True, slots=True)
class Prompt:
    """What one turn sends: the prompt and the earlier messages folded into a context block."""

    text: str
    context: str | None
    images: tuple[Image, ...] = ()

    @property
    def tokens(self) -> int:
        """Estimated prompt tokens."""
        return estimate_tokens(self.text + (self.context or ""))


def fold_messages(messages: Sequence[Mapping[str, Any]]) -> Prompt:
    """Check ``messages`` and fold them as the seed does (:func:`g4f.protocol.history.fold`):
    the last message is the prompt, the earlier ones the context.

    >>> fold_messages([{"role": "system", "content": "Be brief."},
    ...                {"role": "user", "content": "Hi"}])
    Prompt(text='Hi', context='[system](#message)\\nBe brief.\\n\\n', images=())
    """
    if not messages:
        raise BadRequest("messages must not be empty.", param="messages")
    texts: list[tuple[str, str]] = []
    images: list[Image] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            raise BadRequest(f"Unsupported role {role!r}.", param=f"messages[{index}].role")
        text, found = _content(message.get("content"), index)
        if found and index != len(messages) - 1:
            raise BadRequest(
                "Images are accepted in the last (user) message only.",
                param=f"messages[{index}].content",
            )
        texts.append((str(role), text))
        images.extend(found)
    role, prompt = texts[-1]
    if role != "user" or not prompt.strip():
        raise BadRequest("The last message must be a non-empty user message.", param="messages")
    return Prompt(*fold(texts), images=tuple(images))


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """An OpenAI-style request, checked and folded once, before any network work."""

    model: str
    style: Style
    prompt: Prompt
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    tone: str | None = None
    search: bool = True
    files: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        service: str = DEFAULT_SERVICE,
        capabilities: Capabilities | None = None,
        search: bool = True,
        files: Sequence[str] = (),
        option_names: tuple[str, str] = ("search", "files"),
        stop_name: str = "stop",
    ) -> CompletionRequest:
        """Check the request for ``service``; :class:`BadRequest` (or :class:`UnknownModel`)
        if it is bad. Without ``model``, the service's default model.

        ``capabilities`` are those of the backend that will run it (by default the service's,
        from the registry): images are refused here when it takes none, and so are ``files``
        (document URLs) and ``search=False`` (no web grounding) when it cannot do them — the
        error names them as the caller spelled them, ``option_names`` (the HTTP API's request
        fields are ``("g4f_search", "g4f_files")``); ``stop_name`` is the stop sequences' field
        (Anthropic's ``stop_sequences``)."""
        model = model or default_model(service)
        entry = model_for(model, service)
        if max_tokens is not None and max_tokens < 1:
            raise BadRequest("max_tokens must be at least 1.", param="max_tokens")
        stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
        if len(stops) > MAX_STOP_SEQUENCES:
            raise BadRequest(
                f"At most {MAX_STOP_SEQUENCES} stop sequences are accepted.", param=stop_name
            )
        if any(len(s) > MAX_STOP_LENGTH for s in stops):
            raise BadRequest(
                f"A stop sequence may be at most {MAX_STOP_LENGTH} characters long.",
                param=stop_name,
            )
        prompt = fold_messages(messages)
        can = capabilities or registry.entry(service).capabilities
        if prompt.images and not can.images:
            raise BadRequest(
                f"The {service} service takes no images.", param=f"messages[{len(messages) - 1}]"
            )
        _check_turn_options(service, can, search, files, option_names)
        return cls(model, entry.style, prompt, max_tokens, stops, entry.tone, search, tuple(files))


def _check_turn_options(
    service: str, can: Capabilities, search: bool, files: Sequence[str], names: tuple[str, str]
) -> None:
    """:class:`BadRequest` for web grounding or documents a service cannot be asked for, naming
    the option as the caller spelled it (``names``: the search switch's, the files')."""
    search_name, files_name = names
    if not search and not can.search_toggle:
        raise BadRequest(
            f"The {service} service cannot switch web search off ({search_name}).",
            param=search_name,
            code="not_supported",
        )
    if files and not can.files:
        raise BadRequest(
            f"The {service} service reads no documents ({files_name}).",
            param=files_name,
            code="not_supported",
        )
    for index, url in enumerate(files):
        if not isinstance(url, str) or not url.startswith("https://"):
            raise BadRequest(
                "A file must be a SharePoint or OneDrive https:// URL.",
                param=f"{files_name}[{index}]",
            )
