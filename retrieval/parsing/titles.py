"""Document titles and display names: the document's own title when it is a real one.

A title comes from the document (PDF /Title, DOCX/PPTX/XLSX core properties,
HTML ``<title>``, e-mail subject, else its first heading) before its file name.
Authoring tools fill those fields with junk ("Untitled", "Microsoft Word -
report.doc", "Slide 1", the file's own name), which would be worse than the
file name, so such titles are skipped.

Names and titles are shown in the console and in citations: control and
format characters (a right-to-left override turns "gnp.txt" into "txt.png")
are removed wherever one is made.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import PurePath

__all__ = ["MAX_TITLE_CHARS", "choose_title", "display_text", "document_title", "file_title"]

MAX_TITLE_CHARS = 200
# Unicode categories removed from names: controls (Cc), format characters such as
# bidi overrides, isolates and zero-width marks (Cf), lone surrogates (Cs), line and
# paragraph separators (Zl, Zp).
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# What authoring tools write when nobody gave a title.
_PLACEHOLDER = re.compile(
    r"^(untitled|untitled document|no title|title|document|new document|doc|book|workbook"
    r"|sheet|presentation"
    r"|powerpoint presentation|slide|microsoft word document|word document|pdf|draft)"
    r"\s*\d*$",
    re.IGNORECASE,
)
# "Microsoft Word - report.doc": a print driver's name for the file, not a title.
_PRINTED_FROM = re.compile(
    r"^(microsoft\s+(word|powerpoint|excel|office)|word|powerpoint|excel)\s*-\s", re.IGNORECASE
)
# A title that is itself a file name: "Q3 report.docx", "scan0001.tif".
_FILE_NAME = re.compile(
    r"\.(pdf|docx?|pptx?|xlsx?|xlsm|rtf|odt|txt|md|html?|indd|qxd|tiff?|jpe?g|png|tmp|dot|dotx)$",
    re.IGNORECASE,
)


def display_text(text: str) -> str:
    """``text`` without control or format characters, whitespace runs as one space."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _REMOVED_CATEGORIES
    )
    return " ".join(kept.split())


def file_title(filename: str | None) -> str:
    """The title a file name gives: its stem, cleaned ("" for no name)."""
    if not filename:
        return ""
    return display_text(PurePath(filename).stem)[:MAX_TITLE_CHARS]


def document_title(given: str | None, parsed: str | None, filename: str | None) -> str:
    """The title a document is indexed under: the caller's, else its own, else its file name's."""
    return given or parsed or file_title(filename)


def choose_title(candidates: Iterable[str | None], *, filename: str | None) -> str | None:
    """The first candidate that is a real title, cleaned and shortened; None if none is."""
    for candidate in candidates:
        title = _usable(candidate, filename)
        if title is not None:
            return title
    return None


def _usable(candidate: str | None, filename: str | None) -> str | None:
    if not candidate:
        return None
    title = display_text(candidate)
    if not any(ch.isalnum() for ch in title):
        return None
    if _PLACEHOLDER.match(title) or _PRINTED_FROM.match(title) or _FILE_NAME.search(title):
        return None
    # The file's own name ("Q3 report.pdf" as the title of Q3 report.pdf) says nothing.
    if filename and title.casefold() == display_text(PurePath(filename).name).casefold():
        return None
    return _shorten(title)


def _shorten(title: str) -> str:
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title.rfind(" ", 0, MAX_TITLE_CHARS)
    return title[: cut if cut > MAX_TITLE_CHARS // 2 else MAX_TITLE_CHARS].rstrip() + "…"
