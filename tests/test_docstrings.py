"""The API reference is complete: every public name is on a page of
`docs/reference/`, and everything those pages render has a docstring.

The pages render objects named by `::: path` lines (mkdocstrings); a member without
a docstring would show as a bare signature, so each rendered class and function,
and each public method and property of a rendered class, must say what it is for.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
# `::: path`, then its indented options, if any.
DIRECTIVE = re.compile(r"^::: ([\w.]+)[ \t]*\n((?:[ \t]+\S.*\n?)*)", re.MULTILINE)
# The namespaces users import from; each public name of theirs is on a reference page.
NAMESPACES = (
    "ewh_webhooks",
    "ewh_webhooks.testing",
    "ewh_webhooks.observe",
    "ewh_webhooks.sync",
    "ewh_webhooks.redis",
)


class NotLanded(Exception):
    """A name in `__all__` whose module is not in this tree (a feature still landing)."""


def resolve(path: str) -> Any:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(path)


def exported(namespace: str, name: str) -> Any:
    module = importlib.import_module(namespace)
    try:
        return getattr(module, name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("ewh_webhooks."):
            raise NotLanded(f"{namespace}.{name}: {exc}") from exc
        raise


def directives() -> list[tuple[str, str, bool]]:
    """(page, dotted path, renders members) of every `::: path` in the reference pages."""
    found = []
    for page in sorted(REFERENCE.glob("*.md")):
        for path, options in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            found.append((page.name, path, "members: false" not in options))
    return found


def module_members(module: ModuleType) -> Iterator[tuple[str, Any]]:
    """What a `::: module` line renders: the names of its `__all__` that resolve."""
    for name in getattr(module, "__all__", ()):
        try:
            yield f"{module.__name__}.{name}", exported(module.__name__, name)
        except NotLanded:
            continue


def rendered_objects() -> Iterator[tuple[str, Any]]:
    for _, path, members in directives():
        obj = resolve(path)
        if not inspect.ismodule(obj):
            yield path, obj
        elif members:
            yield from module_members(obj)


def own_docstring(obj: Any) -> str | None:
    # A class's own docstring only: inspect.getdoc would lend it the base class's.
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return doc if isinstance(doc, str) and doc.strip() else None


def public_methods(cls: type) -> Iterator[tuple[str, Any]]:
    """Public methods and properties defined in this package, the class's or inherited."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("ewh_webhooks"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if isinstance(member, property) or inspect.isfunction(member):
                seen.add(name)
                yield f"{klass.__module__}.{klass.__qualname__}.{name}", member


def undocumented() -> list[str]:
    missing = set()
    for _, obj in rendered_objects():
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # constants and type aliases: the page's prose describes them
        if own_docstring(obj) is None:
            missing.add(f"{obj.__module__}.{obj.__qualname__}")
        if inspect.isclass(obj):
            missing.update(name for name, m in public_methods(obj) if own_docstring(m) is None)
    return sorted(missing)


def test_every_rendered_class_function_method_and_property_has_a_docstring() -> None:
    missing = undocumented()
    assert not missing, "no docstring (say why or how, one line is enough):\n" + "\n".join(missing)


def test_every_directive_names_an_object_that_exists() -> None:
    for page, path, _ in directives():
        try:
            resolve(path)
        except (ModuleNotFoundError, AttributeError) as exc:
            pytest.fail(f"docs/reference/{page}: ::: {path} does not resolve ({exc})")


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_name_is_on_a_reference_page(namespace: str) -> None:
    rendered = {id(obj) for _, obj in rendered_objects()}
    absent, not_landed = [], []
    for name in importlib.import_module(namespace).__all__:
        if name == "__version__":
            continue
        try:
            obj = exported(namespace, name)
        except NotLanded as exc:
            not_landed.append(str(exc))
            continue
        if id(obj) not in rendered:
            absent.append(f"{namespace}.{name}")
    assert not absent, (
        "add a `::: module.Name` line for each to a page of docs/reference/: " + ", ".join(absent)
    )
    if not_landed:
        pytest.skip("in __all__ but not in this tree yet: " + "; ".join(not_landed))


def test_the_check_sees_a_missing_docstring() -> None:
    class Documented:
        """Has one."""

        def method(self) -> None:
            pass

        @property
        def value(self) -> int:
            """Has one."""
            return 1

    Documented.__module__ = "ewh_webhooks.example"
    missing = [name for name, m in public_methods(Documented) if own_docstring(m) is None]
    assert [name.rsplit(".", 2)[-2:] for name in missing] == [["Documented", "method"]]
    assert own_docstring(type("Bare", (Documented,), {})) is None  # not lent by the base
