"""LangChain's own standard retriever suite (``langchain-tests``) against ``EnclaveRetriever``.

Each test of ``RetrieversIntegrationTests`` runs on both store kinds, with five
one-passage documents of the HR group and one of finance indexed by the real
embedding model; the suite's ``k`` tests ask for 1 and 3 of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from retrieval import (
    Chunk,
    DocumentMeta,
    Embedder,
    IndexedChunk,
    Searcher,
    SparseEncoder,
    VectorStore,
    chunk_point_id,
)
from retrieval.langchain import EnclaveRetriever

HR, FINANCE = 10, 20
PASSAGES = (
    (HR, "Full-time employees get twenty-seven days of paid annual leave."),
    (HR, "Part-time employees get annual leave in proportion to their hours."),
    (HR, "Unused annual leave carries over until the end of March."),
    (HR, "Annual leave requests are approved by your manager in the HR portal."),
    (HR, "Sick leave does not count against annual leave."),
    (FINANCE, "The annual leave bonus pool is decided by the finance committee."),
)


def index(store: VectorStore, embedder: Embedder, sparse: SparseEncoder) -> Searcher:
    """The passages above, one document each, in ``store``."""
    for document_id, (group, text) in enumerate(PASSAGES, start=1):
        meta = DocumentMeta(document_id, 1, (group,), f"Doc {document_id}", "0" * 64)
        chunk = Chunk(index=0, text=text, page=1, heading="Leave")
        store.upsert(
            [
                IndexedChunk(
                    point_id=chunk_point_id(document_id, 0, text),
                    chunk=chunk,
                    meta=meta,
                    dense=embedder.embed_documents([text])[0],
                    sparse=sparse.encode_document(text),
                )
            ]
        )
    return Searcher(store=store, embedder=embedder, sparse=sparse)


class TestEnclaveRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _indexed(
        self, store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder
    ) -> None:
        self.searcher = index(store, embedder, sparse_encoder)

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return EnclaveRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"searcher": self.searcher, "allowed_group_ids": (HR,)}

    @property
    def retriever_query_example(self) -> str:
        return "How much annual leave do I get?"


def test_k_in_invoke_bounds_the_documents_and_never_widens_the_groups(
    store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    retriever = EnclaveRetriever(
        searcher=index(store, embedder, sparse_encoder), allowed_group_ids=(HR,)
    )

    everything = retriever.invoke("annual leave bonus pool", k=10)
    top = retriever.invoke("annual leave", k=1)

    assert sorted(d.metadata["document_id"] for d in everything) == [1, 2, 3, 4, 5]
    assert len(top) == 1 and top[0].metadata["document_id"] in {1, 2, 3, 4, 5}
    assert len(retriever.invoke("annual leave")) == 5  # the default k (6), HR has five
    with pytest.raises(ValueError, match="k must be a positive integer"):
        retriever.invoke("annual leave", k=0)
    with pytest.raises(TypeError):
        retriever.invoke("annual leave", allowed_group_ids=(FINANCE,))
