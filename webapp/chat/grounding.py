"""The embedder-backed sentence support check (the relevance gate is retrieval.relevance)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from retrieval import Embedder

__all__ = ["embedding_similarity"]


def embedding_similarity(embedder: Embedder) -> Callable[[str, Sequence[str]], list[float]]:
    """Cosine similarity of a sentence to candidate texts (vectors are normalised)."""
    cache: dict[str, np.ndarray] = {}

    def vectors(texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            found = np.asarray(embedder.embed_documents(missing), dtype=np.float32)
            cache.update(zip(missing, found, strict=True))
        return np.stack([cache[t] for t in texts])

    def similarity(sentence: str, candidates: Sequence[str]) -> list[float]:
        found = vectors([sentence, *candidates])
        # One matrix product: a Python loop over 512 dimensions per candidate cost
        # milliseconds of the web process's CPU per answer.
        return [float(score) for score in found[1:] @ found[0]]

    return similarity
