"""The embedder-backed sentence support check (the relevance gate is retrieval.relevance)."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from retrieval import Embedder

__all__ = ["embedding_similarity"]

# Vectors of passage sentences, per embedder, shared by the answers of a process: the
# same passages answer many questions, and embedding their sentences again was the
# largest cost of an answer after its retrieval. 4,096 vectors of 512 floats: 8 MB.
SHARED_VECTORS = 4096


class _SentenceVectors:
    """A bounded, thread-safe LRU of sentence vectors for one embedder."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[text] = vector
            self._vectors.move_to_end(text)
            while len(self._vectors) > self._limit:
                self._vectors.popitem(last=False)


# Keyed by the embedder itself: a rebuilt index with another model has its own vectors.
_shared: weakref.WeakKeyDictionary[Embedder, _SentenceVectors] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def _vectors_of(embedder: Embedder) -> _SentenceVectors:
    with _shared_lock:
        try:
            found = _shared.get(embedder)
            if found is None:
                found = _shared[embedder] = _SentenceVectors(SHARED_VECTORS)
        except TypeError:  # an embedder without weak references shares nothing
            found = _SentenceVectors(SHARED_VECTORS)
        return found


def embedding_similarity(embedder: Embedder) -> Callable[[str, Sequence[str]], list[float]]:
    """Cosine similarity of a sentence to candidate texts (vectors are normalised).

    The candidates' (passage sentences') vectors are kept for later answers; the
    sentence's only for this answer's other calls.
    """
    shared = _vectors_of(embedder)
    cache: dict[str, np.ndarray] = {}

    def known(text: str) -> bool:
        if text in cache:
            return True
        vector = shared.get(text)
        if vector is not None:
            cache[text] = vector
        return vector is not None

    def vectors(sentence: str, candidates: Sequence[str]) -> np.ndarray:
        texts = [sentence, *candidates]
        missing = [t for t in dict.fromkeys(texts) if not known(t)]
        if missing:
            found = np.asarray(embedder.embed_documents(missing), dtype=np.float32)
            cache.update(zip(missing, found, strict=True))
            new = set(missing)
            for text in dict.fromkeys(candidates):
                if text in new:
                    shared.put(text, cache[text])
        return np.stack([cache[t] for t in texts])

    def similarity(sentence: str, candidates: Sequence[str]) -> list[float]:
        found = vectors(sentence, candidates)
        # One matrix product: a Python loop over 512 dimensions per candidate cost
        # milliseconds of the web process's CPU per answer.
        return [float(score) for score in found[1:] @ found[0]]

    return similarity
