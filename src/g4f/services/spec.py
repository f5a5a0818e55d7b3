"""What a service tells the rest of the package about itself: one :class:`ServiceEntry`, in its
own folder, listed once in :mod:`g4f.services.registry`.

The CLI's ``--service`` choices and per-service flags, the API's upstream, ``/v1/models``,
``Client(service=…)`` and ``--local`` all read the entries; no code outside a service's folder
compares a service's name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..engine.backend import Backend, Capabilities
from ..errors import G4FError
from ..protocol.constants import Style

__all__ = ["Model", "ServiceEntry", "ServiceOption"]


@dataclass(frozen=True, slots=True)
class Model:
    """One model id.

    Attributes:
        id: what callers pass as ``model``.
        style: the conversation style it stands for.
        provider: the gpt4free-style provider module serving it through
            ``g4f.ChatCompletion``, or ``None`` when only the OpenAI surfaces know it.
        service: the name of the service it belongs to.
        tone: the service's own name for the model, where it names models by tone.
    """

    id: str
    style: Style
    provider: str | None = None
    service: str = ""
    tone: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceOption:
    """An option only one service takes, as the CLI and the API offer it.

    Attributes:
        flag: the command-line flag (``--token-file``).
        dest: the keyword the service's backend takes (``token_file``).
        help: what it is, for ``--help``.
        metavar: the placeholder in ``--help``.
        load: what the backend takes, from the option's text (e.g. the cookies in a file);
            ``ValueError`` naming the file or the value when it cannot be used.
        commands: the sub-commands offering it (``chat``, ``api``).
        choices: the values it takes, when it takes a fixed set (empty: any).
    """

    flag: str
    dest: str
    help: str
    metavar: str = "FILE"
    load: Callable[[str], Any] = Path
    commands: frozenset[str] = frozenset({"chat", "api"})
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceEntry:
    """Everything the package knows of one service, in one place.

    Attributes:
        name: what ``--service`` and ``service=`` take.
        title: one line saying what it is and what it needs.
        build: the service's backend from options (``url``, ``proxy``, ``timeouts``,
            ``retry``, ``record``, ``limits``, and the service's own :attr:`options`).
        options: the options only this service takes.
        accepts: every keyword :attr:`build` takes beyond the common ones (the
            :attr:`options`' ``dest`` and those only Python callers pass).
        models: its listed models; the first is the default.
        model_prefix: a prefix passing any model of the service through (``m365/<Tone>``).
        default_url: where the service is.
        env_url: the environment variable naming another server that speaks it.
        capabilities: what a turn may ask of it.
        offline_hint: what to say when its default host cannot be reached.
        local_options: the options that point its backend at a local hub (given the hub's URL).
        describe: the upstream in words for ``g4f api``'s start-up line; it checks the
            options, raising ``ValueError`` (a usage error) or returning warnings with it.
        keeps_secrets: whether its conversations hold credentials (stored encrypted with a
            store key, else in clear).
        label: its short name in messages (``Bing``), where :attr:`title` is too long.
        model_alias: the tone another spelling of a model names (``Gpt_Quick`` for
            ``m365-gpt-quick``), so that every surface takes the same names; ``ValueError``
            for a name that is none.
    """

    name: str
    title: str
    build: Callable[..., Backend]
    options: tuple[ServiceOption, ...]
    accepts: frozenset[str]
    models: tuple[Model, ...]
    default_url: str
    env_url: str
    capabilities: Capabilities
    offline_hint: str
    local_options: Callable[[str], Mapping[str, Any]]
    describe: Callable[[str | None, Mapping[str, Any]], tuple[str, tuple[str, ...]]]
    model_prefix: str | None = None
    keeps_secrets: bool = False
    label: str = ""
    model_alias: Callable[[str], str] | None = None

    @property
    def default_model(self) -> str:
        """The model of requests that name none."""
        return self.models[0].id

    @property
    def tones(self) -> tuple[str, ...]:
        """The tones of its listed models, the default first (empty: it has none)."""
        return tuple(dict.fromkeys(m.tone for m in self.models if m.tone))

    def default_unreachable(self, error: G4FError, url: str | None) -> bool:
        """Whether ``error`` is this service's own hosts being unreachable (the default
        upstream: no ``url`` given, nothing in :attr:`env_url`), which is worth
        :attr:`offline_hint` (a service gone, or its hosts needing a network)."""
        named = url or os.environ.get(self.env_url, "").strip()
        return bool(self.offline_hint) and not named and error.resend_safe  # never reached it

    def find_model(self, model_id: str) -> Model | None:
        """The model ``model_id`` names on this service, or ``None``: a listed id, a listed
        model's tone under another spelling (:attr:`model_alias`), or any
        ``<model_prefix><tone>`` when the service has a prefix."""
        for model in self.models:
            if model.id == model_id:
                return model
        alias = self._alias(model_id)
        for model in self.models:
            if alias is not None and model.tone == alias:
                return replace(model, id=model_id)
        prefix = self.model_prefix
        tone = model_id[len(prefix) :] if prefix and model_id.startswith(prefix) else ""
        if tone.strip():
            return Model(model_id, Style.PRECISE, service=self.name, tone=tone)
        return None

    def _alias(self, model_id: str) -> str | None:
        if self.model_alias is None:
            return None
        try:
            return self.model_alias(model_id)
        except ValueError:
            return None

    def option(self, dest: str) -> ServiceOption | None:
        """The option whose ``dest`` is ``dest``, if the service has it."""
        return next((o for o in self.options if o.dest == dest), None)
