"""The LangChain retriever applies the same group filter as every other search."""

from __future__ import annotations

import pytest

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

HR, FINANCE = 10, 20
LEAVE = "Every full-time employee is entitled to twenty-seven days of paid annual leave."
BONUS = "The yearly leave bonus pool is decided by the finance committee in March."


@pytest.fixture
def searcher(store: VectorStore, embedder: Embedder, sparse_encoder: SparseEncoder) -> Searcher:
    for document_id, text, group in ((1, LEAVE, HR), (2, BONUS, FINANCE)):
        meta = DocumentMeta(document_id, 1, (group,), f"Doc {document_id}", "0" * 64)
        store.upsert(
            [
                IndexedChunk(
                    point_id=chunk_point_id(document_id, 0, text),
                    chunk=Chunk(index=0, text=text, page=3, heading="Policies"),
                    meta=meta,
                    dense=embedder.embed_documents([text])[0],
                    sparse=sparse_encoder.encode_document(text),
                )
            ]
        )
    return Searcher(store=store, embedder=embedder, sparse=sparse_encoder)


def test_retriever_returns_documents_with_provenance_only_from_allowed_groups(
    searcher: Searcher,
) -> None:
    from langchain_core.retrievers import BaseRetriever

    from retrieval.langchain import EnclaveRetriever

    retriever = EnclaveRetriever(searcher=searcher, allowed_group_ids=[HR], k=4)
    documents = retriever.invoke("annual leave")

    assert isinstance(retriever, BaseRetriever)
    assert [d.page_content for d in documents] == [LEAVE]
    metadata = documents[0].metadata
    assert (metadata["document_id"], metadata["page"], metadata["heading"]) == (1, 3, "Policies")
    assert metadata["title"] == "Doc 1"
    assert metadata["dense_rank"] == 1 and metadata["reason"].startswith("dense #1")
    finance = EnclaveRetriever(searcher=searcher, allowed_group_ids=[FINANCE])
    assert [d.metadata["document_id"] for d in finance.invoke("annual leave")] == [2]


def test_retriever_needs_at_least_one_group(searcher: Searcher) -> None:
    from pydantic import ValidationError

    from retrieval.langchain import EnclaveRetriever

    with pytest.raises(ValidationError):
        EnclaveRetriever(searcher=searcher, allowed_group_ids=[])


def test_retriever_works_from_async_chains(searcher: Searcher) -> None:
    import asyncio

    from retrieval.langchain import EnclaveRetriever

    retriever = EnclaveRetriever(searcher=searcher, allowed_group_ids=[FINANCE], k=2)

    documents = asyncio.run(retriever.ainvoke("bonus pool"))

    assert [d.metadata["document_id"] for d in documents] == [2]
