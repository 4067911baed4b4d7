"""LangChain retriever over Enclave's permission-filtered hybrid search.

    from retrieval.langchain import EnclaveRetriever
    retriever = EnclaveRetriever(searcher=searcher, allowed_group_ids=[3, 7], k=4)
    documents = retriever.invoke("How many vacation days do I get?")
    top = retriever.invoke("How many vacation days do I get?", k=1)

The groups are fixed when the retriever is built (one retriever per user or
API token) and go into the same Qdrant filter as every other search, so a
chain can never see a passage those groups may not read; ``k`` (the number of
documents, at most) is the only thing a call may change. langchain-core is
imported only when this module is. LangChain's standard retriever suite
(``langchain-tests``) runs against this class in the tests.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from retrieval.models import Passage
from retrieval.search import Searcher

__all__ = ["EnclaveRetriever", "passage_to_document"]


class EnclaveRetriever(BaseRetriever):
    """A LangChain ``BaseRetriever`` that searches only what ``allowed_group_ids`` may read."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    searcher: Searcher
    allowed_group_ids: tuple[int, ...] = Field(min_length=1)
    collection_ids: tuple[int, ...] | None = None
    k: int = Field(default=6, gt=0)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        # LangChain hands invoke()'s keyword arguments here; any other than k is a TypeError.
        limit = self.k if k is None else k
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"k must be a positive integer, not {limit!r}.")
        passages = self.searcher.search(
            query,
            allowed_group_ids=self.allowed_group_ids,
            collection_ids=self.collection_ids,
            limit=limit,
        )
        return [passage_to_document(passage) for passage in passages]


def passage_to_document(passage: Passage) -> Document:
    """A LangChain Document: the passage text, with where it came from and why, as metadata."""
    metadata: dict[str, Any] = {
        "document_id": passage.document_id,
        "collection_id": passage.collection_id,
        "chunk_index": passage.chunk_index,
        "chunk_indices": list(passage.chunk_indices or (passage.chunk_index,)),
        "title": passage.title,
        "page": passage.page,
        "heading": passage.heading,
        "score": passage.score,
        "dense_rank": passage.dense_rank,
        "sparse_rank": passage.sparse_rank,
        "reason": passage.reason,
        "language": passage.language,
    }
    return Document(page_content=passage.text, metadata=metadata)
