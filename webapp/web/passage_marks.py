"""Which sentences of a cited passage to mark in the passage panel.

An answer stores, per sentence, the passages that support it (``Message.support``:
``{sentence, citations, status}``, see docs/answers.md). For each supported answer
sentence citing a passage, the passage's sentence that holds most of its words
(``inference.lexical.containment_scores``, the word half of the support check) is
marked (among its statements: headings and fragments are never marked). The marks
are character ranges into the passage text; the page inserts the text itself as
text nodes, never as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from inference.lexical import containment_scores, statements

__all__ = ["MIN_SHARE", "passage_marks", "sources_with_marks"]

# A passage sentence holding under a third of the answer sentence's words is no match.
MIN_SHARE = 0.34


def _span(text: str, sentence: str) -> tuple[int, int] | None:
    """Where ``sentence`` (whitespace collapsed by ``statements``) lies in ``text``."""
    words = sentence.split()
    if not words:
        return None
    found = re.search(r"\s+".join(re.escape(word) for word in words), text)
    return (found.start(), found.end()) if found else None


def passage_marks(text: str, number: int, support: Iterable[dict[str, Any]]) -> list[list[int]]:
    """``[[start, end], ...]`` of the sentences of passage ``number`` that back the answer."""
    backed = [
        item
        for item in support
        if item.get("supported") and number in (item.get("citations") or [])
    ]
    # Most passages found back no sentence: they are not split into sentences at all.
    sentences = statements(text) if backed else []
    if not sentences:
        return []
    chosen: set[int] = set()
    for item in backed:
        scores = containment_scores(str(item.get("sentence", "")), sentences)
        best = max(range(len(sentences)), key=lambda i: scores[i])
        if scores[best] >= MIN_SHARE:
            chosen.add(best)
    spans = (_span(text, sentences[i]) for i in sorted(chosen))
    return [[start, end] for start, end in sorted({s for s in spans if s is not None})]


def sources_with_marks(
    sources: Iterable[dict[str, Any]], support: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Copies of ``sources`` with ``marks`` (see ``passage_marks``) on each."""
    verdicts = list(support)
    return [
        {
            **source,
            "marks": passage_marks(str(source.get("text") or ""), source.get("number"), verdicts),
        }
        for source in sources
    ]
