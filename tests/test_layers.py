"""The package's structure, checked from its source: layers, cycles, service names, sizes.

The layers, lowest first (a module may import its own layer and those below it):

    errors, urls, sync          what everything shares
    protocol                    the ChatHub core shared by every dialect, no I/O
    engine, hub                 moving bytes (the hub: the offline test double, beside it)
    services                    one folder per service, and the registry
    models, openai              what the surfaces share
    api, cli, Provider, …       the surfaces
    client                      the facade that re-exports for users
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from g4f.services.registry import SERVICES

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "g4f"

LAYERS: dict[str, int] = {
    "errors": 0,
    "urls": 0,
    "sync": 0,
    "files": 0,
    "protocol": 1,
    "engine": 2,
    "hub": 2,
    "services": 3,
    "models": 4,
    "openai": 4,
    "_chat_completion": 5,
    "Provider": 5,
    "api": 5,
    "cli": 6,
    "__main__": 7,
    "client": 7,
    "__init__": 8,
}


def _sources() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every ``g4f`` module ``path`` imports, with the line — inside functions too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            yield from ((n, node.lineno) for n in [target, *names] if n.startswith("g4f"))
        elif isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names if a.name.startswith("g4f"))


def _layer(module: str) -> tuple[str, int]:
    top = module.split(".")[1] if "." in module else "__init__"
    return top, LAYERS[top]


def test_every_top_level_module_has_a_layer() -> None:
    tops = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    tops -= {"__pycache__", "py"}
    assert tops - set(LAYERS) == set()


def test_no_import_runs_from_a_lower_layer_to_a_higher_one() -> None:
    upward = []
    for module, path in _sources():
        top, rank = _layer(module)
        for target, line in _imports(module, path):
            if target == "g4f" or target.startswith("g4f.__"):
                continue  # the package's version, set before anything else is loaded
            target_top, target_rank = _layer(target)
            if target_top != top and target_rank > rank:
                upward.append(f"{path.relative_to(SRC)}:{line} imports {target}")
    assert upward == []


def test_the_hub_knows_no_service_and_the_engine_knows_neither() -> None:
    crossing = []
    for module, path in _sources():
        top, _ = _layer(module)
        if top not in ("hub", "engine"):
            continue
        for target, line in _imports(module, path):
            target_top = _layer(target)[0] if target != "g4f" else "__init__"
            if target_top in ("engine", "hub", "services") and target_top != top:
                crossing.append(f"{path.relative_to(SRC)}:{line} imports {target}")
    assert crossing == []


def _module_graph() -> dict[str, set[str]]:
    """Module → the modules it imports when it is loaded (not inside functions, not for
    type checking only)."""
    known = dict(_sources())
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text())
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        edges: set[str] = set()
        for node in tree.body:  # module level only
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = (
                    ".".join([*base, *([node.module] if node.module else [])])
                    if node.level
                    else node.module or ""
                )
                for alias in node.names:
                    name = f"{target}.{alias.name}"
                    edges.add(name if name in known else target)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names)
        graph[module] = {e for e in edges if e in known and e != module}
    return graph


def test_no_import_cycle_between_modules() -> None:
    graph = _module_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def _service_name_comparisons(path: Path) -> Iterator[int]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                values = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
                if any(isinstance(v, ast.Constant) and v.value in SERVICES for v in values):
                    yield node.lineno
        elif isinstance(node, ast.match_case):
            pattern = node.pattern
            if (
                isinstance(pattern, ast.MatchValue)
                and isinstance(pattern.value, ast.Constant)
                and pattern.value.value in SERVICES
            ):
                yield pattern.value.lineno


def test_no_code_outside_a_services_folder_compares_a_services_name() -> None:
    own = [PACKAGE / "services" / name for name in SERVICES]
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for _, path in _sources()
        if not any(path.is_relative_to(folder) for folder in own)
        and path != PACKAGE / "services" / "registry.py"
        for line in _service_name_comparisons(path)
    ]
    assert found == []


def test_the_name_check_finds_a_comparison(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text('if service == "m365":\n    pass\nif s in ("bing", "other"):\n    pass\n')
    assert list(_service_name_comparisons(source)) == [1, 3]


@pytest.mark.parametrize("limit", [60])
def test_no_function_in_src_is_longer_than_a_screen(limit: int) -> None:
    long = []
    for _, path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({length})")
    assert long == []


def test_type_ignores_stay_few() -> None:
    count = sum(path.read_text().count("type: ignore") for _, path in _sources())
    assert count <= 8
