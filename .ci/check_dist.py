"""Check a built wheel as PyPI and its users will see it.

The wheel must carry `py.typed` and the license text, declare the PEP 639 license and a
Markdown description, and that description (the README, as PyPI renders it) must hold
no link that only works inside the repository: every href is absolute https, an
anchor of a heading on the same page, or a loopback address (a server the reader
starts, such as `mkdocs serve`).

    python .ci/check_dist.py dist/ewh_webhooks-0.1.0-py3-none-any.whl
"""

from __future__ import annotations

import email.parser
import re
import sys
import zipfile

import readme_renderer.markdown  # type: ignore[import-untyped]

_LOOPBACK = ("http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/")


def check_wheel(path: str) -> list[str]:
    """Return what is wrong with the wheel at `path` (empty when nothing is)."""
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
        (metadata_name,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(wheel.read(metadata_name).decode())
    dist_info = metadata_name.rsplit("/", 1)[0]
    problems = [
        f"missing {name}"
        for name in ("ewh_webhooks/py.typed", f"{dist_info}/licenses/LICENSE")
        if name not in names
    ]
    for field, expected in (
        ("License-Expression", "MIT"),
        ("Description-Content-Type", "text/markdown"),
    ):
        if metadata[field] != expected:
            problems.append(f"METADATA {field} is {metadata[field]!r}, not {expected!r}")
    problems.extend(description_link_problems(metadata.get_payload()))
    return problems


def description_link_problems(markdown: str) -> list[str]:
    """Links in the rendered description that would be dead on PyPI."""
    html = readme_renderer.markdown.render(markdown, variant="GFM")
    if html is None:
        return ["the description does not render as GitHub-flavoured Markdown"]
    anchors = set(re.findall(r'\bid="([^"]+)"', html))
    problems = []
    for href in re.findall(r'\bhref="([^"]+)"', html):
        if href.startswith("#"):
            if href[1:] not in anchors:
                problems.append(f"README link {href!r} points at no heading")
        elif not href.startswith(("https://", *_LOOPBACK)):
            problems.append(f"README link {href!r} is not an absolute https URL")
    return problems


def main(argv: list[str]) -> int:
    failed = False
    for path in argv:
        for problem in check_wheel(path):
            print(f"{path}: {problem}", file=sys.stderr)
            failed = True
    return 1 if failed or not argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
