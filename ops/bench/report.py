"""Markdown tables and report files for the benchmarks (pure formatting, no timing)."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path

__all__ = ["format_number", "machine_line", "markdown_table", "write_report"]

Cell = str | int | float | None


def format_number(value: Cell, *, digits: int = 1) -> str:
    """Render a table cell: thousands separators for ints, ``digits`` decimals for floats."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, digits: int = 1
) -> str:
    """Return a GitHub markdown table; text columns align left, numeric columns right."""
    if any(len(row) != len(headers) for row in rows):
        raise ValueError("every row needs one cell per header")
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) or row[i] is None for row in rows)
        for i in range(len(headers))
    ]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if is_num else "---" for is_num in numeric) + "|",
    ]
    for row in rows:
        cells = [format_number(cell, digits=digits).replace("|", "\\|") for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_line(*, threads: int) -> str:
    """One line describing where the numbers came from."""
    import torch

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"torch {torch.__version__} with {threads} intra-op threads, Python "
        f"{platform.python_version()}"
    )


def write_report(path: Path, text: str) -> None:
    """Print the report and write it to ``path``, creating its folder."""
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\nwritten to {path}")
