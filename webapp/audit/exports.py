"""The audit log as CSV: one row per event, spreadsheet-safe."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from itertools import chain

from webapp.audit.models import AuditEvent

__all__ = ["CSV_HEADER", "audit_csv_lines", "csv_safe"]

CSV_HEADER = [
    "time",
    "user",
    "kind",
    "question",
    "document_ids",
    "cited_document_ids",
    "detail",
]
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _ids(values: object) -> str:
    return " ".join(str(v) for v in values) if isinstance(values, list) else ""


def _row(event: AuditEvent) -> list[str]:
    detail = event.detail if isinstance(event.detail, dict) else {}
    return [
        event.created_at.isoformat(),
        csv_safe(event.actor_name),
        event.kind,
        csv_safe(str(detail.get("question", ""))),
        _ids(detail.get("document_ids")),
        _ids(detail.get("cited_document_ids")),
        csv_safe(json.dumps(detail, ensure_ascii=False, sort_keys=True)),
    ]


def audit_csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The header, then one CSV line per event (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in chain([CSV_HEADER], (_row(e) for e in events)):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
