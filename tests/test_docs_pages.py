"""The documentation site's Python examples are valid Python, and its recipes and
included files exist (`mkdocs build --strict` in `.ci/run` checks links and the API
reference; the recipes themselves run in `test_recipes.py`)."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# ```python [title="..."] ... ``` at any indentation; the body up to the closing fence.
FENCE = re.compile(r"^(?P<indent> *)```python[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
INCLUDE = re.compile(r'^--8<-- "(?P<path>[^"]+)"$', re.M)


def python_blocks() -> list[tuple[str, str]]:
    """(page#n, code) of every Python example written in the pages themselves."""
    blocks = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for number, match in enumerate(FENCE.finditer(text), 1):
            body = match.group("body")
            if not INCLUDE.search(body):  # included files are real modules, tested as such
                indent = len(match.group("indent"))
                code = "\n".join(line[indent:] for line in body.splitlines())
                blocks.append((f"{page.relative_to(DOCS)}#{number}", code))
    return blocks


@pytest.mark.parametrize(
    ("where", "code"), [pytest.param(where, code, id=where) for where, code in python_blocks()]
)
def test_every_python_example_compiles(where: str, code: str) -> None:
    try:
        compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        pytest.fail(f"docs/{where}: {exc}")


def test_every_included_file_exists() -> None:
    for page in sorted(DOCS.rglob("*.md")):
        for path in INCLUDE.findall(page.read_text(encoding="utf-8")):
            assert (ROOT / path).is_file(), f"docs/{page.relative_to(DOCS)} includes {path}"


def test_the_examples_are_found() -> None:
    assert len(python_blocks()) > 30


async def test_the_getting_started_example_runs_against_the_emulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "examples/quickstart.py")
    assert spec is not None
    assert spec.loader is not None
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    await quickstart.main(use_api=False)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["created", "listed", "updated", "deleted:"]
    assert lines[2].endswith("https://example.com/hooks/v2")
    assert "404 Not Found" in lines[3]
