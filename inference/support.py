"""Every sentence of a generated answer cited or flagged.

Small models omit citations, cite the wrong passage, or write what no passage says.
After the answer, each sentence (four words or more) is compared with every passage
(``inference.scoring.support_scores``: words and, when given, meaning):

- ``cited``: a passage it cites supports it;
- ``attributed``: it cited nothing, or only passages that do not support it, and
  another passage does: that passage's marker is put after it (replacing the others);
- ``unsupported``: no passage supports it; its own markers, if any, are kept.

The similarity function is injected (the web app passes its embedding model), so this
module stays free of any model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from inference.citations import parse_citations
from inference.lexical import containment_scores, split_sentences, strip_list_mark
from inference.models import SourcePassage
from inference.scoring import Similarity

__all__ = [
    "Attribution",
    "SentenceSupport",
    "Similarity",
    "attribute_sentences",
    "quoted_sentences",
]

Status = Literal["cited", "attributed", "unsupported"]
_MARKERS = re.compile(r"\s*\[\s*\d{1,3}(?:\s*,\s*\d{1,3})*\s*\]")
# One sentence: up to a stop (and the markers after it) or the end of the line.
_SENTENCE = re.compile(r"[^\n]*?(?:[.!?](?:" + _MARKERS.pattern + r")*(?=\s|$)|(?=\n)|$)")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MIN_WORDS = 4
# A wrong citation is replaced only by a passage this much better supported.
REPLACE_MARGIN = 0.1


@dataclass(frozen=True)
class SentenceSupport:
    """One answer sentence, the passages it cites at the end, and how well they support it."""

    sentence: str
    citations: tuple[int, ...]
    score: float | None
    status: Status

    @property
    def supported(self) -> bool:
        """True when a cited or attributed passage supports the sentence."""
        return self.status != "unsupported"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for storage with the message."""
        return {
            "sentence": self.sentence,
            "citations": list(self.citations),
            "score": None if self.score is None else round(self.score, 4),
            "supported": self.supported,
            "status": self.status,
        }


@dataclass(frozen=True)
class Attribution:
    """The answer text with attributed markers added, and the verdict on each sentence."""

    text: str
    sentences: tuple[SentenceSupport, ...]

    def count(self, status: Status) -> int:
        """How many sentences have ``status``."""
        return sum(1 for item in self.sentences if item.status == status)


def _spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _SENTENCE.finditer(text):
        if match.group(0).strip():
            spans.append((match.start(), match.end()))
    return spans


def _passage_scores(
    sentence: str, passages: Sequence[SourcePassage], similarity: Similarity | None
) -> dict[int, float]:
    """Support of ``sentence`` by each passage: words against the whole passage, meaning
    against its closest sentence."""
    lexical = containment_scores(sentence, [p.text for p in passages])
    if similarity is None:
        return {p.number: score for p, score in zip(passages, lexical, strict=True)}
    pieces = [(p.number, s) for p in passages for s in split_sentences(p.text)]
    dense = similarity(sentence, [s for _, s in pieces]) if pieces else []
    closest: dict[int, float] = {}
    for (number, _), score in zip(pieces, dense, strict=True):
        closest[number] = max(closest.get(number, -1.0), score)
    return {
        p.number: (word + max(closest.get(p.number, 0.0), 0.0)) / 2
        for p, word in zip(passages, lexical, strict=True)
    }


def _judge(
    plain: str,
    cited: list[int],
    scores: dict[int, float],
    min_score: float,
) -> tuple[Status, tuple[int, ...], float]:
    best = max(scores, key=lambda number: (scores[number], -number))
    cited_score = max((scores[n] for n in cited), default=0.0)
    if cited and cited_score >= min_score:
        return "cited", tuple(cited), cited_score
    if scores[best] >= min_score and scores[best] >= cited_score + REPLACE_MARGIN:
        return "attributed", (best,), scores[best]
    return "unsupported", tuple(cited), cited_score if cited else scores[best]


def attribute_sentences(
    text: str,
    passages: Sequence[SourcePassage],
    similarity: Similarity | None = None,
    *,
    min_score: float = 0.45,
) -> Attribution:
    """Judge every sentence of ``text`` against ``passages`` (see the module docstring)."""
    if not passages:
        return Attribution(text, ())
    given = {p.number for p in passages}
    verdicts: list[SentenceSupport] = []
    edits: list[tuple[int, int, str]] = []
    for start, end in _spans(text):
        piece = text[start:end]
        plain = strip_list_mark(_MARKERS.sub("", piece))
        cited = [n for n in parse_citations(piece) if n in given]
        if len(_WORD.findall(plain)) < MIN_WORDS:
            continue
        status, numbers, score = _judge(
            plain, cited, _passage_scores(plain, passages, similarity), min_score
        )
        verdicts.append(SentenceSupport(plain, numbers, score, status))
        if status == "attributed":
            stripped = _MARKERS.sub("", piece).rstrip()
            edits.append((start, end, f"{stripped} [{numbers[0]}]"))
    for start, end, replacement in reversed(edits):
        trailing = text[start:end][len(text[start:end].rstrip()) :]
        text = text[:start] + replacement + trailing + text[end:]
    return Attribution(text, tuple(verdicts))


def quoted_sentences(text: str) -> tuple[SentenceSupport, ...]:
    """The verdicts on an answer quoted from the passages: every sentence cites its source."""
    verdicts = []
    for start, end in _spans(text):
        piece = text[start:end]
        plain = strip_list_mark(_MARKERS.sub("", piece))
        if len(_WORD.findall(plain)) >= MIN_WORDS:
            verdicts.append(SentenceSupport(plain, tuple(parse_citations(piece)), None, "cited"))
    return tuple(verdicts)
