"""BM25 sparse encoding with qdrant_edge's in-process model."""

from __future__ import annotations

import pytest

from retrieval import SparseConfig, SparseEncoder


def test_query_terms_match_document_terms_after_stemming() -> None:
    encoder = SparseEncoder()

    document = encoder.encode_document("The employees are requesting leave")
    query = encoder.encode_query("employee requests")

    assert query.values == (1.0, 1.0)
    assert set(query.indices) <= set(document.indices)


def test_stopword_only_query_has_no_terms() -> None:
    assert SparseEncoder().encode_query("the and of").indices == ()


def test_portuguese_stemming() -> None:
    encoder = SparseEncoder(SparseConfig(language="portuguese"))

    document = encoder.encode_document("As férias dos funcionários")
    query = encoder.encode_query("funcionário férias")

    assert set(query.indices) <= set(document.indices)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="klingon"):
        SparseEncoder(SparseConfig(language="klingon"))
