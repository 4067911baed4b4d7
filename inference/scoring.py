"""How well a sentence answers a question, and how well a passage supports a sentence.

Both scores mix words and meaning: a lexical share (0-1) from ``inference.lexical``
and, when the caller injects one, a dense ``Similarity`` (the web app passes its
embedding model's cosine similarity). Words catch exact figures and names, meaning
catches paraphrases and questions in another language; the mean of the two is
steadier than either alone. This module loads no model itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inference.lexical import containment_scores, coverage_scores

__all__ = ["Similarity", "answer_scores", "support_scores"]

# Similarity of one text to each of several candidates, higher is closer (cosine: -1..1).
Similarity = Callable[[str, Sequence[str]], list[float]]


def _mixed(
    text: str,
    others: Sequence[str],
    lexical: Callable[[str, Sequence[str]], list[float]],
    similarity: Similarity | None,
) -> list[float]:
    """Mean of the lexical share and the (non-negative) dense similarity of each of ``others``."""
    if not others:
        return []
    words = lexical(text, others)
    if similarity is None:
        return words
    dense = similarity(text, others)
    return [(word + max(meaning, 0.0)) / 2 for word, meaning in zip(words, dense, strict=True)]


def answer_scores(
    question: str, sentences: Sequence[str], similarity: Similarity | None = None
) -> list[float]:
    """How well each sentence answers ``question`` (0-1)."""
    return _mixed(question, sentences, coverage_scores, similarity)


def support_scores(
    sentence: str, evidence: Sequence[str], similarity: Similarity | None = None
) -> list[float]:
    """How well each evidence text (a passage's sentence) supports ``sentence`` (0-1)."""
    return _mixed(sentence, evidence, containment_scores, similarity)
