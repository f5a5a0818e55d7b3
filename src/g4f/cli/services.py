"""The ``g4f`` command's view of the service registry (:mod:`g4f.services.registry`).

``--service`` and its choices, the flags only some services take (each entry's
:attr:`~g4f.services.spec.ServiceEntry.options`, and ``--model`` / ``--image`` for what only
some can do: tones, images), and the check that the chosen service takes what was given. Nothing
here knows a service by name: a new registry entry brings its flags with it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.backend import Capabilities
from ..services.registry import DEFAULT_SERVICE, REGISTRY, SERVICES, entry
from ..services.spec import ServiceEntry

__all__ = [
    "CAPABILITY_FLAGS",
    "add_capability_flags",
    "add_service_flags",
    "check_given",
    "loaded_options",
    "url_help",
]


@dataclass(frozen=True, slots=True)
class CapabilityFlag:
    """A ``g4f chat`` flag only services with a capability take.

    Attributes:
        flag: the flag (``--model``).
        dest: its ``argparse`` destination.
        capability: the :class:`~g4f.engine.backend.Capabilities` field it needs.
        help: its help, given the first entry having the capability.
        extra: more ``add_argument`` keywords.
    """

    flag: str
    dest: str
    capability: str
    help: Callable[[ServiceEntry], str]
    extra: tuple[tuple[str, Any], ...] = ()

    def owners(self) -> tuple[ServiceEntry, ...]:
        """The services that take it."""
        return tuple(e for e in REGISTRY.values() if _can(e.capabilities, self.capability))


def _can(capabilities: Capabilities, name: str) -> bool:
    return bool(getattr(capabilities, name))


def _model_help(service: ServiceEntry) -> str:
    tones = service.tones
    return (
        f"the model, by tone (default: {tones[0] if tones else 'the service picks'}; known: "
        f"{', '.join(tones)}; any other is passed through)"
    )


CAPABILITY_FLAGS: tuple[CapabilityFlag, ...] = (
    CapabilityFlag("--model", "model", "tones", _model_help, (("metavar", "TONE"),)),
    CapabilityFlag(
        "--image",
        "image",
        "images",
        lambda _: "attach a PNG, JPEG, GIF or WebP image (repeatable)",
        (("action", "append"), ("default", []), ("type", Path), ("metavar", "FILE")),
    ),
    CapabilityFlag(
        "--file",
        "file",
        "files",
        lambda _: (
            "a SharePoint or OneDrive document (its https:// URL) the answer may read (repeatable)"
        ),
        (("action", "append"), ("default", []), ("metavar", "URL")),
    ),
)
"""The ``g4f chat`` flags of what only some services can do."""


def _prefix(owners: tuple[ServiceEntry, ...]) -> str:
    """``--service m365: `` before the help of a flag the default service does not take."""
    if not owners or any(o.name == DEFAULT_SERVICE for o in owners):
        return ""
    return f"--service {', '.join(o.name for o in owners)}: "


def _needs(owners: tuple[ServiceEntry, ...]) -> str:
    return " or ".join(f"--service {o.name}" for o in owners)


def _service_flags(command: str) -> dict[str, tuple[str, tuple[ServiceEntry, ...]]]:
    """Each service option ``command`` offers, by flag: its dest and the services taking it."""
    flags: dict[str, tuple[str, tuple[ServiceEntry, ...]]] = {}
    for service in REGISTRY.values():
        for option in service.options:
            if command in option.commands:
                dest, owners = flags.get(option.flag, (option.dest, ()))
                flags[option.flag] = (dest, (*owners, service))
    return flags


def add_service_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """``--service`` (its choices and their help from each entry's ``title``) and every
    service's own flags that ``command`` offers."""
    parser.add_argument(
        "--service",
        choices=SERVICES,
        default=DEFAULT_SERVICE,
        help="; ".join(f"{e.name}: {e.title}" for e in REGISTRY.values())
        + f" (default: {DEFAULT_SERVICE})",
    )
    for flag, (dest, owners) in _service_flags(command).items():
        option = owners[0].option(dest)
        assert option is not None
        parser.add_argument(
            flag,
            dest=dest,
            metavar=option.metavar,
            help=_prefix(owners) + option.help,
            choices=option.choices or None,
        )


def add_capability_flags(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--image`` and ``--file``, with the help of the services that take them."""
    for capability in CAPABILITY_FLAGS:
        owners = capability.owners()
        help_text = capability.help(owners[0]) if owners else ""
        parser.add_argument(
            capability.flag,
            dest=capability.dest,
            help=_prefix(owners) + help_text,
            **dict(capability.extra),
        )


def url_help(what: str) -> str:
    """``--url``'s help: ``what``, then each service's default (its variable, then its host)."""
    defaults = [
        f"{'' if e.name == DEFAULT_SERVICE else f'with --service {e.name}, '}"
        f"${e.env_url} then {e.label or e.name} at {e.default_url}"
        for e in REGISTRY.values()
    ]
    return f"{what} (default: {'; '.join(defaults)})"


def check_given(args: argparse.Namespace, command: str) -> ServiceEntry:
    """The chosen service's entry; a flag given that it does not take is a usage error
    naming the flags and the service that takes them (``--model needs --service m365``)."""
    chosen = entry(args.service)
    wrong: list[tuple[str, tuple[ServiceEntry, ...]]] = [
        (flag, owners)
        for flag, (dest, owners) in _service_flags(command).items()
        if getattr(args, dest, None) and chosen not in owners
    ]
    wrong += [  # only ``chat`` has them: elsewhere they are never given
        (c.flag, c.owners())
        for c in CAPABILITY_FLAGS
        if getattr(args, c.dest, None) and not _can(chosen.capabilities, c.capability)
    ]
    if wrong:
        first = wrong[0][1]
        common = tuple(o for o in first if all(o in owners for _, owners in wrong)) or first
        raise ValueError(f"{', '.join(flag for flag, _ in wrong)} needs {_needs(common)}")
    return chosen


def loaded_options(args: argparse.Namespace, chosen: ServiceEntry) -> dict[str, Any]:
    """The chosen service's own options that were given, as its backend takes them (each
    option's ``load``: a file that cannot be read is a ``ValueError`` naming it)."""
    loaded: dict[str, Any] = {}
    for option in chosen.options:
        value = getattr(args, option.dest, None)
        if value is not None:
            loaded[option.dest] = option.load(value)
    return loaded
