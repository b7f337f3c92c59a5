"""Griffe extension for the API reference: render `>>>` examples as code, and show
only what users may rely on.

Our docstrings are plain prose (mkdocstrings' `docstring_style: null`), with
examples written as doctest lines. Markdown reads `>>>` as three nested block
quotes, so each run of doctest lines (from a `>>>` line to the next blank line, as
doctest reads them) becomes a fenced `pycon` block before the docstring is rendered.
Runs indented four spaces or more are already Markdown code blocks and stay as
they are.

With mkdocstrings' `filters: public`, a module's members are those of its `__all__`;
this extension also marks every underscore name private (special methods such as
`__aenter__` and `__slots__` included: the prose says how to use a class).

Loaded from mkdocs.yml (`extensions:` of the python handler).
"""

from __future__ import annotations

from typing import Any

import griffe

PROMPT = ">>>"


def fence_doctest_runs(text: str) -> str:
    """`text` with each run of doctest lines inside a ```pycon fence."""
    lines = text.splitlines()
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith("```"):
            in_fence = not in_fence
        if in_fence or not stripped.startswith(PROMPT) or indent >= 4:
            out.append(line)
            i += 1
            continue
        run: list[str] = []
        while i < len(lines) and lines[i].strip():
            run.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i].lstrip())
            i += 1
        if out and out[-1].strip():
            out.append("")
        out.extend([" " * indent + "```pycon", *(" " * indent + r for r in run)])
        out.extend([" " * indent + "```", ""])
    return "\n".join(out).rstrip("\n")


class DoctestBlocks(griffe.Extension):
    """Fence doctest examples in every docstring griffe loads; hide underscore names."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        # Once the tree is complete (on_instance can see objects that are replaced later).
        if obj.docstring is not None and PROMPT in obj.docstring.value:
            obj.docstring.value = fence_doctest_runs(obj.docstring.value)
        if obj.name.startswith("_"):
            obj.public = False
