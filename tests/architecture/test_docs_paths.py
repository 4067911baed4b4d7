"""The repository paths the README and docs/ name exist, so the code map cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A path in backquotes or a Markdown link that starts at one of the repository's top folders.
TOP = r"(?:webapp|worker|retrieval|inference|ops|tests|docs|\.ci)/"
CODE_SPAN = re.compile(rf"`({TOP}[^`\s]*)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
ANCHORED_LINK = re.compile(r"\]\(([^)#\s]*\.md)#([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)


def named_paths(document: Path) -> set[str]:
    """Repository paths a document names: code spans from the top folders, relative links."""
    text = document.read_text(encoding="utf-8")
    found = set(CODE_SPAN.findall(text))
    for target in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        found.add((document.parent / target).resolve().relative_to(ROOT).as_posix())
    # "module.py::NAME" names a definition inside the file; placeholders are not paths.
    return {path.split("::")[0] for path in found if "<" not in path and "$" not in path}


def exists(path: str) -> bool:
    """The path, or the paths a glob in it stands for, exist in the checkout."""
    if any(ch in path for ch in "*?["):
        return any(ROOT.glob(path))
    return (ROOT / path.rstrip("/")).exists()


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_named_path_exists(document: Path):
    missing = sorted(path for path in named_paths(document) if not exists(path))
    assert missing == [], f"{document.relative_to(ROOT)} names paths that do not exist"


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_to_a_section_finds_its_heading(document: Path):
    broken = []
    for target, fragment in ANCHORED_LINK.findall(document.read_text(encoding="utf-8")):
        linked = (document.parent / target).resolve()
        headings = {anchor(h) for h in HEADING.findall(linked.read_text(encoding="utf-8"))}
        if fragment not in headings:
            broken.append(f"{target}#{fragment}")
    assert broken == [], f"{document.relative_to(ROOT)} links to sections that do not exist"


def test_the_code_map_names_every_package():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(
        init.parent.relative_to(ROOT).as_posix()
        for top in ("webapp", "worker", "retrieval", "inference")
        for init in (ROOT / top).rglob("__init__.py")
        if "migrations" not in init.parts and "templatetags" not in init.parts
    )
    assert [p for p in packages if f"`{p}/" not in text] == []
