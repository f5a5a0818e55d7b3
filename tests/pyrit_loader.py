"""Loading Microsoft PyRIT's ``WebSocketCopilotTarget`` module alone.

The full ``pyrit`` package pulls in a heavy dependency tree (its memory database, Playwright,
model SDKs, ``jwt``, …); its ``pyrit/__init__.py`` and ``pyrit/prompt_target/__init__.py``
import much of it. The one module under test needs only ``websockets`` and ``httpx`` of its own,
plus names from other PyRIT modules — which are stubbed here — so it is loaded from its file
(an installed ``pip install --no-deps pyrit``, or the wheel named by ``$G4F_PYRIT_WHEEL``),
never through the package.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["MODULE", "load_websocket_copilot_target", "pyrit_source"]

MODULE = "pyrit/prompt_target/websocket_copilot_target.py"


def pyrit_source() -> str | None:
    """The module's source: from an installed pyrit, else from ``$G4F_PYRIT_WHEEL``."""
    try:
        path = Path(str(importlib.metadata.distribution("pyrit").locate_file(MODULE)))
        if path.is_file():
            return path.read_text(encoding="utf-8")
    except importlib.metadata.PackageNotFoundError:
        pass
    wheel = os.environ.get("G4F_PYRIT_WHEEL")
    if wheel and Path(wheel).is_file():
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(MODULE).decode("utf-8")
    return None


class _PromptTarget:
    """Stands in for ``pyrit.prompt_target.PromptTarget`` (its memory is not needed here)."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


def _passthrough(function: Any) -> Any:
    return function


def _stubs() -> dict[str, types.ModuleType]:
    """The PyRIT modules the target imports from, with the names it takes from them."""
    names: dict[str, dict[str, Any]] = {
        "pyrit": {},
        "pyrit.auth": {"CopilotAuthenticator": object, "ManualCopilotAuthenticator": object},
        "pyrit.common": {"get_mime_type": lambda path: "image/png"},
        "pyrit.exceptions": {
            "EmptyResponseException": type("EmptyResponseException", (Exception,), {}),
            "pyrit_target_retry": _passthrough,
        },
        "pyrit.memory": {},
        "pyrit.memory.storage": {"convert_local_image_to_data_url_async": None},
        "pyrit.models": {
            "ComponentIdentifier": object,
            "Message": object,
            "MessagePiece": object,
            "construct_response_from_request": None,
        },
        "pyrit.prompt_target": {
            "PromptTarget": _PromptTarget,
            "limit_requests_per_minute": _passthrough,
        },
        "pyrit.prompt_target.common": {},
        "pyrit.prompt_target.common.target_capabilities": {
            "TargetCapabilities": lambda **kwargs: kwargs
        },
        "pyrit.prompt_target.common.target_configuration": {
            "TargetConfiguration": lambda **kwargs: kwargs
        },
    }
    modules = {}
    for name, attributes in names.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        module.__getattr__ = lambda attr, _name=name: _missing(_name, attr)  # type: ignore[method-assign]
        modules[name] = module
    return modules


def _missing(module: str, attribute: str) -> Any:
    raise AttributeError(f"the stub of {module} has no {attribute} (PyRIT changed its imports?)")


def load_websocket_copilot_target(source: str) -> types.ModuleType:
    """The module, executed with stubs in place of the rest of PyRIT (put back afterwards,
    so no other test sees them)."""
    saved = {name: sys.modules.get(name) for name in _stubs()}
    sys.modules.update(_stubs())
    try:
        spec = importlib.util.spec_from_loader("g4f_tests_pyrit_websocket_copilot_target", None)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        exec(compile(source, MODULE, "exec"), module.__dict__)
        return module
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
