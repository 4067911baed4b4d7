"""Reading an uploaded evaluation set: CSV or JSONL, UTF-8 with or without a BOM.

One question a row (CSV) or a line (JSONL), with these columns / keys (English or
Portuguese names; only ``question`` is required):

| key | Portuguese | what |
|---|---|---|
| question | pergunta | the question, as an employee would ask it |
| answer | resposta | a correct answer (scored by token F1) |
| facts | fatos | short strings a correct answer contains; CSV: separated by ``|`` |
| document | documento | title of the document that answers it (retrieval is scored on it) |
| answerable | respondivel | false / no / não / 0: the documents do not answer it (default true) |
| language | idioma | en or pt (pt-BR); detected from the question when absent |

An answerable question needs an answer, facts or a document; an unanswerable one
has none of them. A file with any bad row is refused as a whole, with every bad
row's line number (``EvalSetFormatError``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from inference.language import detect_language
from webapp.core.errors import ValidationError

__all__ = ["MAX_BYTES", "MAX_ITEMS", "EvalSetFormatError", "ParsedItem", "parse_eval_set"]

MAX_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 5000
MAX_ERRORS_SHOWN = 20
ALIASES = {
    "question": "question",
    "pergunta": "question",
    "answer": "answer",
    "resposta": "answer",
    "expected_answer": "answer",
    "facts": "facts",
    "fatos": "facts",
    "document": "document",
    "documento": "document",
    "document_title": "document",
    "answerable": "answerable",
    "respondivel": "answerable",
    "respondível": "answerable",
    "language": "language",
    "idioma": "language",
}
TRUE = frozenset({"true", "yes", "sim", "1", "y", "s", "verdadeiro"})
FALSE = frozenset({"false", "no", "não", "nao", "0", "n", "falso"})
LANGUAGES = {"en": "en", "en-us": "en", "en-gb": "en", "pt": "pt", "pt-br": "pt", "pt-pt": "pt"}


class EvalSetFormatError(ValidationError):
    """The file cannot be read as an evaluation set; ``errors`` lists each bad row."""

    def __init__(self, errors: list[str]) -> None:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        text = " ".join(shown)
        if more:
            text += " " + _("(and %(count)d more)") % {"count": more}
        super().__init__(text)
        self.errors = errors


@dataclass(frozen=True)
class ParsedItem:
    """One question of an uploaded set, checked."""

    line: int
    question: str
    language: str
    answer: str = ""
    facts: tuple[str, ...] = field(default_factory=tuple)
    document: str = ""
    answerable: bool = True


def parse_eval_set(content: bytes, *, filename: str = "") -> list[ParsedItem]:
    """The questions of a CSV or JSONL file; EvalSetFormatError naming every bad line."""
    if len(content) > MAX_BYTES:
        raise EvalSetFormatError([_("The file is larger than 5 MB.")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvalSetFormatError([_("The file is not UTF-8 text.")]) from None
    if not text.strip():
        raise EvalSetFormatError([_("The file is empty.")])
    rows = _jsonl_rows(text) if _is_jsonl(text, filename) else _csv_rows(text)
    items: list[ParsedItem] = []
    errors: list[str] = []
    for line, row in rows:
        if isinstance(row, str):  # the reader's own error for this line
            errors.append(row)
            continue
        try:
            items.append(_item(line, row))
        except ValueError as exc:
            errors.append(_("Line %(line)d: %(error)s") % {"line": line, "error": exc})
    if not items and not errors:
        errors.append(_("The file holds no questions."))
    if len(items) > MAX_ITEMS:
        errors.append(_("At most %(count)d questions per set.") % {"count": MAX_ITEMS})
    if errors:
        raise EvalSetFormatError(errors)
    return items


def _is_jsonl(text: str, filename: str) -> bool:
    lowered = filename.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return True
    if lowered.endswith(".csv"):
        return False
    return text.lstrip().startswith("{")


def _jsonl_rows(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError:
            rows.append((line, _("Line %(line)d: not valid JSON.") % {"line": line}))
            continue
        if not isinstance(row, dict):
            rows.append((line, _("Line %(line)d: not a JSON object.") % {"line": line}))
            continue
        rows.append((line, _known_keys(row)))
    return rows


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    header = text.lstrip().splitlines()[0]
    # Spreadsheets in Brazil save with ";" (the comma is the decimal separator).
    delimiter = max(",;\t", key=header.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        names = [str(n).strip().lower() for n in next(reader)]
        if "question" not in {ALIASES.get(n) for n in names}:
            return [(1, _("Line 1: the header has no 'question' column."))]
        rows: list[tuple[int, dict[str, Any] | str]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(names):
                message = _("Line %(line)d: more cells than the header has columns.")
                rows.append((reader.line_num, message % {"line": reader.line_num}))
                continue
            rows.append((reader.line_num, _known_keys(dict(zip(names, cells, strict=False)))))
    except csv.Error as exc:
        return [
            (
                reader.line_num,
                _("Line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc},
            )
        ]
    return rows


def _known_keys(row: dict[str, Any]) -> dict[str, Any]:
    """Columns under their English names; unknown columns are ignored (notes, ids)."""
    known: dict[str, Any] = {}
    for key, value in row.items():
        name = ALIASES.get(str(key).strip().lower())
        if name is not None and value not in (None, ""):
            known[name] = value
    return known


def _item(line: int, row: dict[str, Any]) -> ParsedItem:
    question = _text(row.get("question"), "question")
    if not question:
        raise ValueError(_("the question is empty."))
    answer = _text(row.get("answer"), "answer")
    facts = _facts(row.get("facts"))
    document = _text(row.get("document"), "document")
    answerable = _flag(row.get("answerable"))
    if answerable and not (answer or facts or document):
        raise ValueError(_("an answerable question needs an answer, facts or a document."))
    if not answerable and (answer or facts or document):
        raise ValueError(_("an unanswerable question cannot have an answer, facts or a document."))
    return ParsedItem(
        line=line,
        question=question,
        language=_language(row.get("language"), question),
        answer=answer,
        facts=facts,
        document=document,
        answerable=answerable,
    )


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ValueError(_("'%(name)s' must be text.") % {"name": name})
    return str(value).strip()


def _facts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split("|")
    elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        parts = [str(v) for v in value]
    else:
        raise ValueError(_("'facts' must be a list of texts (CSV: separated by |)."))
    return tuple(p.strip() for p in parts if p.strip())


def _flag(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(_("'answerable' must be true or false, not %(value)r.") % {"value": value})


def _language(value: Any, question: str) -> str:
    if value is None:
        return detect_language(question)
    found = LANGUAGES.get(str(value).strip().lower())
    if found is None:
        raise ValueError(_("'language' must be en or pt, not %(value)r.") % {"value": value})
    return found
