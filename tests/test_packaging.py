"""Packaging: the floors `.ci/lowest` installs, and metadata that must agree with itself."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent


def _load_floors() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_floors", ROOT / ".ci" / "floors.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


floors = _load_floors()


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


@pytest.mark.parametrize(
    ("requirement", "constraint"),
    [
        ("aiohttp>=3.10.11", "aiohttp==3.10.11"),
        ("attrs >= 23.1", "attrs==23.1"),
        ("redis[hiredis]>=5.0.1", "redis==5.0.1"),
        ("cattrs>=23.2.1,<27", "cattrs==23.2.1"),
        ("cattrs<27, >=23.2.1", "cattrs==23.2.1"),
        ("foo~=1.4", "foo==1.4"),
        ("foo==1.2.3", "foo==1.2.3"),
        ("tomli>=2; python_version < '3.11'", "tomli==2; python_version < '3.11'"),
        ("zope.interface>=6", "zope.interface==6"),
    ],
)
def test_floor_constraint_pins_the_lower_bound(requirement: str, constraint: str) -> None:
    assert floors.floor_constraint(requirement) == constraint


@pytest.mark.parametrize(
    ("requirement", "reason"),
    [
        ("foo", "found 0"),
        ("foo<2", "found 0"),
        ("foo!=1.0", "found 0"),
        ("foo>1", "found 0"),
        ("foo>=1,>=2", "found 2"),
        ("foo==1.*", "wildcard"),
        ("foo>=1,=2", "cannot read specifier"),
        ("foo @ https://example.invalid/foo-1.whl", "not a requirement by name"),
        ("", "not a requirement by name"),
    ],
)
def test_floor_constraint_refuses_a_requirement_without_one_exact_floor(
    requirement: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        floors.floor_constraint(requirement)


_versions = st.lists(st.integers(0, 999), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)


@given(
    name=st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,20}[A-Za-z0-9]", fullmatch=True),
    floor=_versions,
    ceiling=st.none() | _versions,
)
def test_the_floor_is_the_version_after_greater_or_equal(
    name: str, floor: str, ceiling: str | None
) -> None:
    requirement = f"{name}>={floor}" + (f",<{ceiling}" if ceiling else "")
    assert floors.floor_constraint(requirement) == f"{name}=={floor}"


def test_floor_constraints_cover_the_runtime_and_the_named_extras_only() -> None:
    project = {
        "project": {
            "dependencies": ["a>=1"],
            "optional-dependencies": {"redis": ["r>=5"], "test": ["pytest>=8"]},
        }
    }
    assert floors.floor_constraints(project) == ["a==1"]
    assert floors.floor_constraints(project, ["redis"]) == ["a==1", "r==5"]
    with pytest.raises(ValueError, match="no extra named 'nope'"):
        floors.floor_constraints(project, ["nope"])


def test_every_runtime_dependency_and_the_redis_extra_have_a_floor(
    pyproject: dict[str, Any],
) -> None:
    constraints = floors.floor_constraints(pyproject, ["redis"])
    names = {constraint.split("==")[0] for constraint in constraints}
    assert {"aiohttp", "attrs", "cattrs", "redis"} <= names


def test_python_classifiers_start_at_requires_python(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    minors = sorted(
        int(c.rsplit(".", 1)[1])
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert project["requires-python"] == f">=3.{minors[0]}"
    assert minors == list(range(minors[0], minors[-1] + 1))


def test_the_license_is_an_spdx_expression_with_its_text_and_no_classifier(
    pyproject: dict[str, Any],
) -> None:
    project = pyproject["project"]
    assert project["license"] == "MIT"
    # PEP 639: a license classifier beside the expression is deprecated; PyPI refuses it.
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")


def test_project_urls_are_absolute_https(pyproject: dict[str, Any]) -> None:
    urls = pyproject["project"]["urls"]
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())
