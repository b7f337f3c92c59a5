"""Print pip constraints that pin each runtime dependency at its declared floor.

`.ci/lowest` installs the project under these constraints, so every direct runtime
dependency (and those of the extras named on the command line) runs the suite at
exactly the lowest version pyproject.toml admits: a floor that is too low fails CI.
Indirect dependencies (multidict, yarl, ...) resolve to what a user would get today.

    python .ci/floors.py pyproject.toml redis  ->  aiohttp==3.10.11, ... one a line
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

# A PEP 508 requirement by name (not URL): name, optional [extras], specifiers, ; marker.
_REQUIREMENT = re.compile(
    r"""^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*
        (?:\[[^\]]*\])?\s*
        (?P<specifiers>[^;]*?)\s*
        (?:;\s*(?P<marker>.*?))?\s*$""",
    re.VERBOSE,
)
_SPECIFIER = re.compile(r"^(?P<op>~=|===|==|!=|<=|>=|<|>)\s*(?P<version>[^\s,]+)$")
# Operators whose version is the lowest one admitted; `>` admits no exact lowest version.
_FLOOR_OPERATORS = frozenset({">=", "~=", "=="})


def floor_constraint(requirement: str) -> str:
    """Return `name==floor` (with the marker, if any) for one requirement string.

    Raises ValueError when the requirement has no single exact floor: no lower bound,
    only `>`, a wildcard, a URL, or two lower bounds.
    """
    match = _REQUIREMENT.match(requirement)
    if match is None or "@" in requirement.split(";", 1)[0]:
        raise ValueError(f"{requirement!r}: not a requirement by name with a version floor")
    floors = []
    for specifier in filter(None, (s.strip() for s in match["specifiers"].split(","))):
        spec = _SPECIFIER.match(specifier)
        if spec is None:
            raise ValueError(f"{requirement!r}: cannot read specifier {specifier!r}")
        if spec["op"] in _FLOOR_OPERATORS:
            if "*" in spec["version"]:
                raise ValueError(f"{requirement!r}: a wildcard has no single floor")
            floors.append(spec["version"])
    if len(floors) != 1:
        raise ValueError(
            f"{requirement!r}: needs exactly one lower bound (>=, ~= or ==), found {len(floors)}"
        )
    marker = f"; {match['marker']}" if match["marker"] else ""
    return f"{match['name']}=={floors[0]}{marker}"


def floor_constraints(pyproject: Mapping[str, Any], extras: Iterable[str] = ()) -> list[str]:
    """Constraints for `[project].dependencies` and the named optional dependencies."""
    project = pyproject["project"]
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise ValueError(f"no extra named {extra!r} in [project.optional-dependencies]")
        requirements.extend(optional[extra])
    return [floor_constraint(requirement) for requirement in requirements]


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: floors.py PYPROJECT [EXTRA ...]", file=sys.stderr)
        return 2
    with open(argv[0], "rb") as file:
        pyproject = tomllib.load(file)
    try:
        constraints = floor_constraints(pyproject, argv[1:])
    except ValueError as error:
        print(f"floors.py: {error}", file=sys.stderr)
        return 1
    print("\n".join(constraints))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
