"""Formatting helpers of the benchmarks (the benchmarks themselves never run in tests)."""

from __future__ import annotations

import pytest

from ops.bench.measure import percentile
from ops.bench.report import format_number, markdown_table


def test_markdown_table_aligns_numeric_columns_right_and_formats_cells() -> None:
    table = markdown_table(
        ["step", "chunks", "chunks/s"],
        [["(a) Indexer", 2822, 31.456], ["(b) encode | raw", 12000, None]],
        digits=2,
    )

    assert table.splitlines() == [
        "| step | chunks | chunks/s |",
        "|---|---:|---:|",
        "| (a) Indexer | 2,822 | 31.46 |",
        "| (b) encode \\| raw | 12,000 | — |",
    ]


def test_markdown_table_rejects_rows_of_the_wrong_width() -> None:
    with pytest.raises(ValueError, match="one cell per header"):
        markdown_table(["a", "b"], [["only one"]])


def test_format_number() -> None:
    assert format_number(1234567) == "1,234,567"
    assert format_number(0.5, digits=3) == "0.500"
    assert format_number(True) == "yes"
    assert format_number("text") == "text"


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.0], 95) == 7.0


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
