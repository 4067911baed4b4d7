"""The embedder-backed sentence support check (the relevance gate is retrieval.relevance)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from retrieval import Embedder

__all__ = ["embedding_similarity"]


def embedding_similarity(embedder: Embedder) -> Callable[[str, Sequence[str]], list[float]]:
    """Cosine similarity of a sentence to candidate texts (vectors are normalised)."""
    cache: dict[str, list[float]] = {}

    def vector(texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, embedder.embed_documents(missing), strict=True))
        return [cache[t] for t in texts]

    def similarity(sentence: str, candidates: Sequence[str]) -> list[float]:
        first, *others = vector([sentence, *candidates])
        return [sum(a * b for a, b in zip(first, other, strict=True)) for other in others]

    return similarity
