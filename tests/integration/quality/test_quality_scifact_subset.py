"""`enclave eval retrieval` on a SciFact subset: the real CLI, pipeline, store and model.

60 test queries over 300 abstracts (every abstract judged for those queries,
then the first others in corpus order). Read from ../shared/eval, never copied.
The full run is the benchmark in ops/bench/results/scifact.md. On this small,
easy subset dense is the strong arm (about 0.94 nDCG@10); one query of 60 moves
nDCG@10 by up to 0.017, hence the tolerance.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

SCIFACT = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "beir-scifact"
EPSILON = 0.015


def _rows(markdown: str) -> dict[str, list[float]]:
    rows: dict[str, list[float]] = {}
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] in {"dense", "bm25", "hybrid", "hybrid+rerank"}:
            rows[cells[0]] = [float(cell) for cell in cells[1:6]]
    return rows


@pytest.mark.skipif(not SCIFACT.is_dir(), reason="../shared/eval/beir-scifact is not present")
def test_eval_command_on_a_scifact_subset(tmp_path: Path) -> None:
    from webapp.cli import main

    out = tmp_path / "scifact-subset.md"
    arguments = ["eval", "retrieval", "--dataset", str(SCIFACT), "--limit-docs", "300"]
    arguments += ["--limit-queries", "60", "--out", str(out)]

    result = CliRunner().invoke(main, arguments, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    rows = _rows(out.read_text())
    assert set(rows) == {"dense", "bm25", "hybrid"}  # no reranker configured
    assert "60 queries over 300 documents" in out.read_text()
    for mode, (ndcg, recall10, recall100, mrr, latency) in rows.items():
        assert 0.0 < ndcg <= 1.0, mode
        assert recall10 <= recall100 <= 1.0, mode
        assert 0.0 < mrr <= 1.0 and latency > 0.0, mode
    best_arm = max(rows["dense"][0], rows["bm25"][0])
    assert rows["hybrid"][0] >= best_arm - EPSILON
