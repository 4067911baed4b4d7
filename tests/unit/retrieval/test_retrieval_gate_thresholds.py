"""The relevance gate's thresholds: calibrated per embedding model, overridable by settings."""

from __future__ import annotations

import dataclasses

from retrieval import MINILM, USE_MULTILINGUAL_V3, Passage, SearchConfig
from retrieval.relevance import (
    CALIBRATED_GATES,
    DEFAULT_GATE,
    calibrated_gate,
    is_relevant,
    with_calibrated_gate,
)


def passage(*, dense: float | None, coverage: float, sparse_rank: int | None = 1) -> Passage:
    return Passage(
        1, 1, 0, "Leave is approved by your manager.", "Handbook", 2, "", 0.5,
        dense_score=dense, sparse_rank=sparse_rank, term_coverage=coverage,
    )  # fmt: skip


def test_each_packaged_model_has_its_own_calibrated_thresholds() -> None:
    use = calibrated_gate(USE_MULTILINGUAL_V3)
    minilm = calibrated_gate(MINILM)

    assert use == CALIBRATED_GATES[USE_MULTILINGUAL_V3] != minilm
    assert minilm == DEFAULT_GATE
    assert calibrated_gate("my-own-model") == DEFAULT_GATE


def test_unset_thresholds_take_the_models_and_set_ones_win() -> None:
    use = calibrated_gate(USE_MULTILINGUAL_V3)

    filled = with_calibrated_gate(SearchConfig(), USE_MULTILINGUAL_V3)
    overridden = with_calibrated_gate(SearchConfig(relevance_min_dense=0.9), USE_MULTILINGUAL_V3)

    assert (filled.relevance_min_dense, filled.relevance_min_coverage) == (
        use.min_dense,
        use.min_coverage,
    )
    assert (overridden.relevance_min_dense, overridden.relevance_min_coverage) == (
        0.9,
        use.min_coverage,
    )


def test_the_gate_reads_the_models_cosine_threshold() -> None:
    use = with_calibrated_gate(SearchConfig(), USE_MULTILINGUAL_V3)
    between = (use.relevance_min_dense or 0) - 0.005

    assert not is_relevant(passage(dense=between, coverage=0.0), use)
    assert is_relevant(
        passage(dense=between, coverage=0.0), dataclasses.replace(use, relevance_min_dense=between)
    )
    assert is_relevant(passage(dense=None, coverage=1.0), use)
    assert not is_relevant(passage(dense=None, coverage=1.0, sparse_rank=None), use)
