"""Splitting stored answer text into text and citation-chip segments for templates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from inference.citations import CITATION_MARKER

__all__ = ["AnswerSegment", "answer_segments"]

# Same marker shapes as inference.citations: [1], [2][3], [1, 2]; one to three digits.


@dataclass(frozen=True)
class AnswerSegment:
    """Plain text (``number`` is None) or one citation chip."""

    text: str = ""
    number: int | None = None
    source: dict[str, Any] | None = None


def answer_segments(text: str, citations: Iterable[dict[str, Any]]) -> list[AnswerSegment]:
    """Text and chips in reading order; markers of numbers that were not cited stay as text."""
    sources = {int(s["number"]): s for s in citations if "number" in s}
    segments: list[AnswerSegment] = []
    position = 0
    for match in CITATION_MARKER.finditer(text):
        numbers = [int(part) for part in match.group(1).split(",")]
        if not all(number in sources for number in numbers):
            continue
        if match.start() > position:
            segments.append(AnswerSegment(text=text[position : match.start()]))
        segments.extend(AnswerSegment(number=n, source=sources[n]) for n in numbers)
        position = match.end()
    if position < len(text):
        segments.append(AnswerSegment(text=text[position:]))
    return segments
