"""The package's shape, checked: layers meet at public seams (no module reaches into
another object's underscore names) and the import graph has no cycle, counting
imports made only for type checking or inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ewh_webhooks"
# Public despite the underscore: the namedtuple API (urlsplit's result).
_NAMEDTUPLE_API = frozenset({"_replace", "_asdict", "_fields", "_make"})


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imports(name: str, tree: ast.Module, known: set[str], is_package: bool) -> set[str]:
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            candidates = [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            if candidate in known and candidate != name:
                targets.add(candidate)
    return targets


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    packages = {n for n in known if (PACKAGE.parent / n.replace(".", "/") / "__init__.py").exists()}
    graph = {n: _imports(n, t, known, n in packages) for n, t in modules.items()}
    # A package's lazy __init__ re-exports its modules: that is not a dependency of
    # those modules on each other, so packages themselves are left out as targets.
    return {n: {t for t in targets if t not in packages} for n, targets in graph.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycle(_graph()) is None


def test_sync_depends_on_neither_the_client_nor_the_resources() -> None:
    graph = _graph()
    for name, targets in graph.items():
        if name.startswith("ewh_webhooks.sync"):
            assert not {
                t
                for t in targets
                if t.startswith(("ewh_webhooks.client", "ewh_webhooks.resources"))
            }, name


def test_no_module_reaches_into_another_objects_underscore_names() -> None:
    offences = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in _NAMEDTUPLE_API
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                offences.append(f"{name}:{node.lineno} .{node.attr}")
    assert offences == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
