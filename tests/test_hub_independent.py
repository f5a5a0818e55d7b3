"""The hub stays an independent check of the clients: it imports no client, engine, service or
surface module — only the shared framing of ``g4f.protocol``, ``g4f.errors`` and ``g4f.sync`` —
so a wrong constant on the client side fails a test instead of being wrong on both sides."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import g4f.hub

HUB = Path(g4f.hub.__file__).parent
FORBIDDEN = (
    "g4f.client",
    "g4f.services",
    "g4f.engine",
    "g4f.openai",
    "g4f.api",
    "g4f.cli",
    "g4f.models",
    "g4f.Provider",
    "g4f._chat_completion",
)
ALLOWED = (
    "g4f.hub",
    "g4f.protocol.framing",
    "g4f.protocol.constants",  # RecordType and the record separator: SignalR's, shared
    "g4f.protocol.cassette",  # reading a recording, shared
    "g4f.errors",
    "g4f.sync",
)
"""The only ``g4f`` modules the hub's source may import (and their submodules)."""


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _package_of(path: Path) -> str:
    """The package a hub source file's relative imports start from."""
    module = ".".join(path.relative_to(HUB.parent.parent).with_suffix("").parts)
    return (
        module.removesuffix(".__init__")
        if path.name == "__init__.py"
        else module.rpartition(".")[0]
    )


def _imports(path: Path, package: str) -> list[tuple[int, str]]:
    """Every module ``path`` imports, as absolute names, wherever the import is (a function
    body too), including ``importlib.import_module("…")`` with a literal name; relative
    imports are resolved from ``package``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from . import x`` imports the submodule x
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _hub_sources() -> list[Path]:
    return sorted(HUB.rglob("*.py"))


def test_the_hub_has_a_folder_per_service_and_one_app() -> None:
    names = {p.relative_to(HUB).as_posix() for p in _hub_sources()}
    assert {"server.py", "bing/side.py", "bing/spec.py", "m365/side.py", "m365/spec.py"} <= names


@pytest.mark.parametrize("path", _hub_sources(), ids=lambda p: p.relative_to(HUB).as_posix())
def test_no_hub_source_imports_a_client_engine_service_or_surface(path: Path) -> None:
    imports = _imports(path, _package_of(path))
    g4f_imports = [(line, m) for line, m in imports if _within(m, ("g4f",))]
    forbidden = [(line, m) for line, m in g4f_imports if _within(m, FORBIDDEN)]
    assert forbidden == []
    # Only names of the allowed modules themselves: ``from ...protocol.framing import Record``
    # records both ``g4f.protocol.framing`` and ``g4f.protocol.framing.Record``.
    outside = [(line, m) for line, m in g4f_imports if not _within(m, ALLOWED)]
    outside = [(line, m) for line, m in outside if m != "g4f.protocol"]  # the package itself
    assert outside == []


def test_the_static_check_sees_lazy_and_dynamic_imports(tmp_path: Path) -> None:
    # The checker itself: imports inside a function, relative ones resolved, are seen.
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n"
        "    from ...services.m365 import token\n"
        "    import g4f.client\n"
        "    importlib.import_module('g4f.engine')\n",
        encoding="utf-8",
    )
    found = _imports(probe, "g4f.hub.bing")
    assert {(2, "g4f.services.m365"), (3, "g4f.client"), (4, "g4f.engine")} <= set(found)


def test_importing_every_hub_module_loads_no_client_engine_service_or_surface() -> None:
    code = f"""
import importlib, json, pkgutil, sys
import g4f.hub
for info in pkgutil.walk_packages(g4f.hub.__path__, "g4f.hub."):
    importlib.import_module(info.name)
forbidden = {FORBIDDEN!r}
print(json.dumps(sorted(
    m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in forbidden)
)))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
