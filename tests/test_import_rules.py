"""The house rules of the project's layering, checked statically on every project module.

Records (``mieb_records``) and the offline assets (``mieb_assets``) sit at the bottom and import
nothing else of the project; the catalogue (``mieb_tasks``) stands on the records, the models
(``mieb_models``) on the records and the assets; ``harness`` may use all of them; ``mieb``, the
public API, stands on top and nothing imports it. Inside ``harness`` each room (subpackage, or
top-level module) imports only the rooms ``ROOMS`` lets it: the evaluators stand on the records
alone, data and encoding never reach the results, the gate or anything on top, and only
``TOP_ROOMS`` (the doors: plugin, cli, api, distributed) are imported by nothing below them. No
project module imports another in a circle (imports inside functions count: a lazy import is still
a dependency). The encode engine and its cache are built in one place,
``harness.runner.build_engine``. Every module is read with ``ast``; nothing is imported.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mieb_records", "mieb_assets", "mieb_tasks", "mieb_models", "harness", "mieb")
# package -> the project packages its modules may import (itself included)
ALLOWED: Mapping[str, frozenset[str]] = {
    "mieb_records": frozenset({"mieb_records"}),
    "mieb_assets": frozenset({"mieb_assets"}),
    "mieb_tasks": frozenset({"mieb_records", "mieb_tasks"}),
    "mieb_models": frozenset({"mieb_records", "mieb_assets", "mieb_models"}),
    "harness": frozenset({"mieb_records", "mieb_assets", "mieb_tasks", "mieb_models", "harness"}),
    "mieb": frozenset(PACKAGES),
}
# harness room -> the rooms and packages below it that its modules may import (besides itself).
# ``harness`` is the package's ``__init__``; ``pipelines`` and ``runner`` are top-level modules.
# ``files``: the file primitives (atomic write, locks, regular-file reads) every writer shares.
_LEAVES = frozenset({"mieb_records", "mieb_assets", "files"})
ROOMS: Mapping[str, frozenset[str]] = {
    "files": frozenset({"mieb_records", "mieb_assets"}),
    "evaluators": frozenset({"mieb_records"}),
    "catalogue": _LEAVES | {"mieb_tasks"},
    "data": _LEAVES | {"mieb_tasks", "catalogue"},
    "encode": _LEAVES | {"mieb_models", "catalogue", "data"},
    "results": _LEAVES | {"mieb_tasks", "mieb_models", "catalogue"},
    "gating": _LEAVES | {"mieb_tasks", "catalogue", "results"},
    "offline": _LEAVES | {"mieb_tasks", "catalogue", "data"},
    "pipelines": _LEAVES | {"catalogue", "data", "encode", "evaluators"},
    "runner": _LEAVES | {"mieb_tasks", "mieb_models", "catalogue", "data", "encode", "pipelines", "results"},
    # the one table of run options, which every door derives its options from
    "run_options": _LEAVES | {"mieb_tasks", "mieb_models", "catalogue", "data", "gating"},
    # the doors, on top
    "distributed": _LEAVES
    | {"mieb_tasks", "mieb_models", "catalogue", "data", "encode", "results", "offline", "runner", "run_options"},
    "plugin": _LEAVES
    | {"mieb_tasks", "mieb_models", "catalogue", "data", "encode", "results", "gating", "runner", "run_options"}
    | {"distributed", "offline"},
    "api": _LEAVES | {"mieb_tasks", "mieb_models", "catalogue", "data", "results", "gating", "offline", "runner"},
    "cli": _LEAVES
    | {"mieb_tasks", "mieb_models", "catalogue", "data", "encode", "results", "gating", "offline", "runner", "plugin"}
    | {"distributed", "api", "run_options"},
    "harness": frozenset({"api", "catalogue"}),
}
TOP_ROOMS = frozenset({"distributed", "plugin", "api", "cli", "harness"})
# Known wrong-way imports, each with its reason; one that no longer occurs must be removed here.
ROOM_EXCEPTIONS: Mapping[tuple[str, str], str] = {
    # the comparison of two runs judges differences by the gate's tolerances (and significance)
    ("harness.results.compare", "harness.gating"): "compare stands on the gate's tolerances and paired tests",
    ("harness.results.tiers", "harness.gating"): "tiers group models by the gate's paired tests",
    # each result entry's interval is the gate's bootstrap over the entry's items
    ("harness.results.intervals", "harness.gating"): "main_score_se / ci are significance.bootstrap_interval",
}
ENGINE_BUILDER = "harness.runner"
ENGINE_CLASSES = ("EncodeEngine", "EmbeddingCache")


def module_files() -> dict[str, Path]:
    """Module name -> file, for every ``.py`` file of the project packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, known: Mapping[str, Path]) -> str | None:
    """The project module a dotted name refers to (its longest known prefix), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path, known: Mapping[str, Path]) -> dict[str, int]:
    """Project modules ``module`` imports -> the line of the first such import."""
    found: dict[str, int] = {}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            resolved = _resolve(target, known)
            if resolved is not None and resolved != module:
                found.setdefault(resolved, node.lineno)
    return found


def import_graph() -> dict[str, dict[str, int]]:
    known = module_files()
    return {module: imports_of(module, path, known) for module, path in known.items()}


def find_cycle(graph: Mapping[str, Mapping[str, int]]) -> list[str] | None:
    """One import circle (``[a, b, ..., a]``) of ``graph``, or None (iterative depth-first search)."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" when fully explored
    for start in sorted(graph):
        if start in state:
            continue
        path, iters = [start], [iter(sorted(graph[start]))]
        state[start] = "open"
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = "done"
                iters.pop()
            elif state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state and nxt in graph:
                state[nxt] = "open"
                path.append(nxt)
                iters.append(iter(sorted(graph[nxt])))
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, int]]:
    graph = import_graph()
    # The check reads the real tree: the packages are there and imports are found.
    assert {"harness", "mieb_tasks", "mieb_models"} <= {m.split(".")[0] for m in graph}, sorted(graph)
    assert sum(len(targets) for targets in graph.values()) > 100
    return graph


def test_find_cycle_sees_a_circle_through_a_lazy_import() -> None:
    tree = ast.parse("import b\n\ndef f():\n    from a import x\n")
    targets = {node.names[0].name if isinstance(node, ast.Import) else node.module for node in _import_nodes(tree)}
    assert targets == {"a", "b"}
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 4}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {}}) is None


def test_no_import_cycle_among_project_modules(graph) -> None:
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} (line {graph[a][b]}) -> {b}" for a, b in itertools.pairwise(cycle)]
        pytest.fail("import circle:\n  " + "\n  ".join(steps))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_lies_below_it(graph, package: str) -> None:
    """mieb_records: nothing of the project; mieb_tasks and mieb_models: the records only; harness: not mieb."""
    wrong = [
        f"{module}:{line} imports {target}"
        for module, targets in sorted(graph.items())
        if module.split(".")[0] == package
        for target, line in sorted(targets.items())
        if target.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == [], f"{package} may import only {sorted(ALLOWED[package])}"


def room_of(module: str) -> str:
    """The harness room of a module (``harness.data.views`` -> ``data``); another package: its name."""
    parts = module.split(".")
    if parts[0] != "harness":
        return parts[0]
    return parts[1] if len(parts) > 1 else "harness"


def test_every_harness_module_is_in_a_room_with_rules(graph) -> None:
    rooms = {room_of(m) for m in graph if m.split(".")[0] == "harness"}
    assert rooms == set(ROOMS), "a new room needs its line in ROOMS"
    assert set(ROOMS) >= TOP_ROOMS


def _room_violations(graph: Mapping[str, Mapping[str, int]]) -> dict[tuple[str, str], list[str]]:
    """(module, target room-or-package) -> the imports that break ``ROOMS``."""
    found: dict[tuple[str, str], list[str]] = {}
    for module, targets in sorted(graph.items()):
        if module.split(".")[0] != "harness":
            continue
        here = room_of(module)
        for target, line in sorted(targets.items()):
            there = room_of(target)
            if there != here and there not in ROOMS[here]:
                key = (module, target.split(".")[0] if there == target.split(".")[0] else f"harness.{there}")
                found.setdefault(key, []).append(f"{module}:{line} imports {target}")
    return found


def test_each_harness_room_imports_only_the_rooms_below_it(graph) -> None:
    found = _room_violations(graph)
    wrong = [line for key, lines in found.items() if key not in ROOM_EXCEPTIONS for line in lines]
    assert wrong == [], "\n".join(wrong)
    stale = sorted(set(ROOM_EXCEPTIONS) - set(found))
    assert stale == [], f"these exceptions no longer occur; remove them from ROOM_EXCEPTIONS: {stale}"


def test_only_the_doors_are_on_top() -> None:
    """Nothing below imports plugin, cli, api or distributed; the evaluators import no other room."""
    for room, allowed in ROOMS.items():
        if room not in TOP_ROOMS:
            assert not allowed & TOP_ROOMS, room
    assert ROOMS["evaluators"] == {"mieb_records"}
    for low in ("data", "encode"):
        assert not ROOMS[low] & {"results", "gating", "plugin", "distributed", "cli", "runner", "pipelines"}
    assert not ROOMS["results"] & {"plugin", "encode", "distributed", "gating"}
    assert "plugin" not in ROOMS["gating"]


def test_room_rules_catch_a_wrong_way_import() -> None:
    graph = {"harness.data.views": {"harness.results.store": 3}, "harness.results.store": {}}
    assert _room_violations(graph) == {
        ("harness.data.views", "harness.results"): ["harness.data.views:3 imports harness.results.store"]
    }


def test_public_api_stands_on_the_harness(graph) -> None:
    """``mieb`` is found and uses ``harness`` (the check would pass vacuously on an empty package)."""
    api = [m for m in graph if m.split(".")[0] == "mieb"]
    assert {"mieb", "mieb.tasks", "mieb.evaluation"} <= set(api)
    assert any(t.startswith("harness") for m in api for t in graph[m])


def test_records_exist_as_a_leaf(graph) -> None:
    records = [m for m in graph if m.split(".")[0] == "mieb_records"]
    assert {"mieb_records.tasks", "mieb_records.models", "mieb_records.errors"} <= set(records)
    assert all(t.startswith("mieb_records") for m in records for t in graph[m])


def test_engine_and_cache_are_built_only_by_the_builder() -> None:
    """``EncodeEngine(...)`` / ``EmbeddingCache(...)`` appear only in ``harness.runner`` (tests and
    benchmarks build their own on purpose and are not read)."""
    files = {**module_files(), **{str(p.relative_to(ROOT)): p for p in sorted((ROOT / "scripts").rglob("*.py"))}}
    calls = []
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ENGINE_CLASSES:
                    calls.append((module, node.lineno, name))
    builders = [c for c in calls if c[0] == ENGINE_BUILDER]
    assert sorted(name for _, _, name in builders) == sorted(ENGINE_CLASSES), "the builder itself was not found"
    assert [c for c in calls if c[0] != ENGINE_BUILDER] == []


def test_no_private_name_is_imported_from_another_module() -> None:
    """An underscore marks what a module keeps to itself: no other project module imports it."""
    known = module_files()
    wrong = []
    for module, path in known.items():
        for node in _import_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
                wrong += [
                    f"{module}:{node.lineno} imports {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert wrong == []
