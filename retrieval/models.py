"""Plain value objects passed between the retrieval stages and to callers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Chunk",
    "DocumentMeta",
    "IndexResult",
    "Passage",
    "ParsedDocument",
    "Progress",
    "Section",
    "SparseVector",
]


@dataclass(frozen=True)
class Section:
    """A parsed unit of text that lies on one page under one heading path."""

    text: str
    page: int | None
    # Heading path such as "Policies > Leave"; "" when the text has no heading.
    heading: str


@dataclass(frozen=True)
class ParsedDocument:
    """A parsed file: its title and its sections in reading order.

    ``sections`` may be a lazy iterator (PDFs are read page by page): iterate it
    once; parse errors found late are raised while iterating. ``title`` is the
    document's own title (metadata first); ``other_titles`` are the next
    candidates, best first (e.g. the first heading), for when it is missing or junk.
    """

    title: str | None
    sections: Iterable[Section]
    other_titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A piece of a section small enough for the embedding model."""

    index: int
    text: str
    page: int | None
    heading: str


@dataclass(frozen=True)
class DocumentMeta:
    """What the vector store must know about the document a chunk belongs to."""

    document_id: int
    collection_id: int
    group_ids: tuple[int, ...]
    title: str
    sha256: str


@dataclass(frozen=True)
class Progress:
    """Ingestion progress reported to the caller."""

    stage: Literal["parsing", "chunking", "embedding", "indexing"]
    done: int
    total: int


@dataclass(frozen=True)
class IndexResult:
    """Outcome of indexing one file."""

    chunk_count: int
    # The document whose stored vectors were copied instead of embedding again.
    reused_from: int | None = None
    # The title the chunks carry (the caller's, the document's own, or the file name's).
    title: str = ""


@dataclass(frozen=True)
class Passage:
    """A search hit: one chunk (or neighbouring chunks joined) with where it came from.

    ``score`` is the fused score (the arm's own score in a one-arm search; the
    cross-encoder's when reranked). The optional fields explain the choice: the
    1-based rank and the raw score (cosine similarity, BM25) the chunk had in the
    dense and BM25 arms (None = not among that arm's candidates; the searcher
    withholds the dense score when the model does not cover the query's language).
    """

    document_id: int
    collection_id: int
    chunk_index: int
    text: str
    title: str
    page: int | None
    heading: str
    score: float
    dense_rank: int | None = None
    sparse_rank: int | None = None
    rerank_score: float | None = None
    dense_score: float | None = None
    sparse_score: float | None = None
    # Share of the question's BM25 terms found in the passage text (set by the searcher).
    term_coverage: float | None = None
    # Every chunk joined into this passage, in order; () means just chunk_index.
    chunk_indices: tuple[int, ...] = ()
    # ISO 639-1 code detected for the chunk at indexing time, when known.
    language: str | None = None

    @property
    def reason(self) -> str:
        """Why the passage was chosen, e.g. "dense #3, BM25 #1, reranked 0.91"."""
        parts = []
        if self.dense_rank is not None:
            parts.append(f"dense #{self.dense_rank}")
        if self.sparse_rank is not None:
            parts.append(f"BM25 #{self.sparse_rank}")
        if self.rerank_score is not None:
            parts.append(f"reranked {self.rerank_score:.2f}")
        return ", ".join(parts) or "fused"


@dataclass(frozen=True)
class SparseVector:
    """Engine-neutral sparse vector (BM25 term ids and weights)."""

    indices: tuple[int, ...]
    values: tuple[float, ...]
