"""`enclave eval retrieval` on a SciFact subset: the real CLI, pipeline, store and model.

60 test queries over 300 abstracts (every abstract judged for those queries,
then the first others in corpus order). Read from ../shared/eval, never copied.
The full run is the benchmark in ops/bench/results/scifact.md. On this small,
easy subset dense is the strong arm (about 0.94 nDCG@10); one query of 60 moves
nDCG@10 by up to 0.017, hence the tolerance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

SCIFACT = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "beir-scifact"
EPSILON = 0.015


def _rows(markdown: str) -> dict[str, dict[str, float]]:
    """Each mode's row of the results table, by column name."""
    rows: dict[str, dict[str, float]] = {}
    header: list[str] = []
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "mode":
            header = cells
        elif cells[0] in {"dense", "bm25", "hybrid", "hybrid+rerank"}:
            rows[cells[0]] = {
                name: float(cell) for name, cell in zip(header[1:8], cells[1:8], strict=True)
            }
            rows[cells[0]]["latency"] = float(cells[8])
    return rows


@pytest.mark.skipif(not SCIFACT.is_dir(), reason="../shared/eval/beir-scifact is not present")
def test_eval_command_on_a_scifact_subset(tmp_path: Path) -> None:
    from webapp.cli import main

    out = tmp_path / "scifact-subset.md"
    per_query = tmp_path / "per-query.jsonl"
    arguments = ["eval", "retrieval", "--dataset", str(SCIFACT), "--limit-docs", "300"]
    arguments += ["--limit-queries", "60", "--out", str(out), "--per-query", str(per_query)]
    arguments += ["--mode", "dense", "--mode", "bm25", "--mode", "hybrid"]

    result = CliRunner().invoke(main, arguments, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    rows = _rows(out.read_text())
    assert set(rows) == {"dense", "bm25", "hybrid"}
    assert "60 queries over 300 documents" in out.read_text()
    for mode, row in rows.items():
        assert 0.0 < row["nDCG@10"] <= 1.0, mode
        recalls = [row[f"recall@{k}"] for k in (1, 3, 5, 10, 100)]
        assert recalls == sorted(recalls) and recalls[-1] <= 1.0, mode
        assert 0.0 < row["MRR@10"] <= 1.0 and row["latency"] > 0.0, mode
    best_arm = max(rows["dense"]["nDCG@10"], rows["bm25"]["nDCG@10"])
    assert rows["hybrid"]["nDCG@10"] >= best_arm - EPSILON
    lines = [json.loads(line) for line in per_query.read_text().splitlines()]
    assert len(lines) == 60
    assert set(lines[0]) == {"id", "language", "rank", "top"}
    assert set(lines[0]["rank"]) == set(lines[0]["top"]) == {"dense", "bm25", "hybrid"}
    # recall@1 is the share of queries whose relevant document came first.
    firsts = sum(1 for line in lines if line["rank"]["hybrid"] == 1)
    assert rows["hybrid"]["recall@1"] <= firsts / 60 + 1e-4
