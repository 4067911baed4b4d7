"""Sentence-level support: is each cited sentence close in meaning to the passage it cites?

The similarity function is injected (the web app passes its embedding model), so
this module stays free of any model; scores are whatever the function returns,
cosine similarity for normalised embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inference.citations import parse_citations
from inference.lexical import split_sentences
from inference.models import SourcePassage

__all__ = ["SentenceSupport", "Similarity", "check_support"]

Similarity = Callable[[str, Sequence[str]], list[float]]
_MARKERS = re.compile(r"\s*\[\s*\d{1,3}(?:\s*,\s*\d{1,3})*\s*\]")
# "two years. [1] Lunch" -> "two years [1]. Lunch": a marker after the stop belongs before it.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:" + _MARKERS.pattern + r")+)")


@dataclass(frozen=True)
class SentenceSupport:
    """One answer sentence, the passages it cites, and how well the best of them supports it."""

    sentence: str
    citations: tuple[int, ...]
    score: float | None
    supported: bool

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for storage with the message."""
        return {
            "sentence": self.sentence,
            "citations": list(self.citations),
            "score": None if self.score is None else round(self.score, 4),
            "supported": self.supported,
        }


def check_support(
    text: str,
    passages: Sequence[SourcePassage],
    similarity: Similarity,
    *,
    min_score: float = 0.5,
) -> tuple[SentenceSupport, ...]:
    """Score every cited sentence of ``text`` against its cited passages (uncited: no score)."""
    by_number = {passage.number: passage.text for passage in passages}
    cited_sentences: list[tuple[str, list[int]]] = []
    for piece in split_sentences(_MARKERS_AFTER_STOP.sub(r"\2\1", text)):
        plain = _MARKERS.sub("", piece).strip()
        numbers = [n for n in parse_citations(piece) if n in by_number]
        if not plain and cited_sentences:  # "... two years. [1]": the marker follows the stop
            cited_sentences[-1][1].extend(n for n in numbers if n not in cited_sentences[-1][1])
        elif plain:
            cited_sentences.append((plain, numbers))
    results = []
    for plain, numbers in cited_sentences:
        if not numbers:
            results.append(SentenceSupport(plain, (), None, False))
            continue
        score = float(max(similarity(plain, [by_number[n] for n in numbers])))
        results.append(SentenceSupport(plain, tuple(numbers), score, score >= min_score))
    return tuple(results)
