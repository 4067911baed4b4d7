"""Scores of one answer against its question's references, and their summary table.

- correctness: the share of must-contain facts the answer holds, and token F1
  (SQuAD's: bag of normalised words) against the best reference answer;
- citation precision: the share of cited passages that hold the supporting text
  or come from the document that answers the question;
- citation coverage: the share of the answer's sentences that carry a citation
  (the model's own or one Enclave attributed), and the model's own share;
- abstention: unanswerable questions answered "not found", answerable ones answered;
- latency: search, relevance gate and answer, per question.

Normalisation folds case and accents, drops punctuation, citation markers and the
articles of English and Portuguese.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inference import AnswerDone
from inference.citations import CITATION_MARKER
from webapp.chat.answer_sets import EvalQuestion
from webapp.chat.events import renumbered_sources

__all__ = [
    "QuestionResult",
    "Summary",
    "normalise",
    "score",
    "score_answer",
    "score_failure",
    "summarise",
    "token_f1",
]

_ARTICLES = frozenset({"a", "an", "the", "o", "os", "as", "um", "uma", "uns", "umas"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lowercase, accents and punctuation off, no citation markers or articles."""
    folded = unicodedata.normalize("NFKD", CITATION_MARKER.sub(" ", text).lower())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(word for word in _WORD.findall(plain) if word not in _ARTICLES)


def token_f1(prediction: str, references: Sequence[str]) -> float:
    """The best SQuAD token F1 of ``prediction`` against any reference (0 without any)."""
    predicted = normalise(prediction).split()
    best = 0.0
    for reference in references:
        expected = normalise(reference).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def _holds(text: str, snippet: str) -> bool:
    return bool(normalise(snippet)) and f" {normalise(snippet)} " in f" {normalise(text)} "


@dataclass(frozen=True)
class QuestionResult:
    """What one question got, scored."""

    id: str
    language: str
    answerable: bool | None
    abstained: bool
    text: str
    latency_ms: float
    facts_found: float | None
    f1: float | None
    # Cited passages that support the answer / cited passages (None: nothing cited).
    citation_precision: float | None
    # Sentences cited (the model's or attributed) / sentences (None: no sentence).
    coverage: float | None
    model_cited: float | None
    notice: str = ""
    cited_documents: tuple[str, ...] = ()


def score(
    question: EvalQuestion,
    *,
    text: str,
    abstained: bool,
    cited: Sequence[tuple[str, str]],
    sentences: tuple[int, int, int],
    latency_ms: float,
    notice: str = "",
) -> QuestionResult:
    """Score one answer; ``cited`` = (document id, passage text) per cited passage,
    ``sentences`` = (cited by the model, attributed, unsupported)."""
    answered = bool(question.answerable) and not abstained
    facts_found = None
    if question.facts and question.answerable:
        found = sum(_holds(text, fact) for fact in question.facts) if answered else 0
        facts_found = found / len(question.facts)
    supported = [
        doc == question.doc or any(_holds(passage, e) for e in question.evidence)
        for doc, passage in cited
    ]
    total = sum(sentences)
    return QuestionResult(
        id=question.id,
        language=question.language,
        answerable=question.answerable,
        abstained=abstained,
        text=text,
        latency_ms=round(latency_ms, 1),
        facts_found=facts_found,
        f1=(token_f1(text, question.references) if answered else 0.0)
        if question.references and question.answerable
        else None,
        citation_precision=sum(supported) / len(supported) if supported else None,
        coverage=(sentences[0] + sentences[1]) / total if total else None,
        model_cited=sentences[0] / total if total else None,
        notice=notice,
        cited_documents=tuple(dict.fromkeys(doc for doc, _ in cited)),
    )


def score_answer(
    question: EvalQuestion,
    answer: AnswerDone,
    sources: Sequence[dict[str, Any]],
    *,
    document_name: Callable[[int], str],
    latency_ms: float,
) -> QuestionResult:
    """Score a finished answer; ``sources`` as the answer was given them (numbered)."""
    cited = [
        (document_name(s["document_id"]), s["text"])
        for s in renumbered_sources(sources, answer.source_order)
        if s["number"] in answer.citations
    ]
    return score(
        question,
        text=answer.text,
        abstained=answer.abstained,
        cited=cited,
        sentences=(
            answer.sentences("cited"),
            answer.sentences("attributed"),
            answer.sentences("unsupported"),
        ),
        latency_ms=latency_ms,
        notice=answer.notice,
    )


def score_failure(question: EvalQuestion, *, code: str, latency_ms: float) -> QuestionResult:
    """Score a question whose answer failed (``code`` is kept as its notice)."""
    return score(
        question, text="", abstained=False, cited=[], sentences=(0, 0, 0),
        latency_ms=latency_ms, notice=code,
    )  # fmt: skip


def _mean(values: Sequence[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else None


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """One row of the report: the means over a group of questions."""

    label: str
    questions: int
    answerable: int
    unanswerable: int
    answered: float | None  # answerable questions answered (not abstained)
    abstained: float | None  # unanswerable questions abstained on
    facts_found: float | None
    f1: float | None
    citation_precision: float | None
    coverage: float | None
    model_cited: float | None
    latency_p50_ms: float
    latency_p95_ms: float
    notes: list[str] = field(default_factory=list)

    HEADER = (
        "| set | questions (ans./unans.) | answered (ans.) | abstained (unans.) | facts found "
        "| token F1 | citation precision | citation coverage (model's own) "
        "| latency p50 / p95 ms |\n|---|---|---|---|---|---|---|---|---|"
    )

    def row(self) -> str:
        """The summary as a markdown table row."""

        def cell(value: float | None) -> str:
            return "–" if value is None else f"{value:.2f}"

        own = "–" if self.model_cited is None else f"{self.model_cited:.2f}"
        return (
            f"| {self.label} | {self.questions} ({self.answerable}/{self.unanswerable}) "
            f"| {cell(self.answered)} | {cell(self.abstained)} | {cell(self.facts_found)} "
            f"| {cell(self.f1)} | {cell(self.citation_precision)} "
            f"| {cell(self.coverage)} ({own}) "
            f"| {self.latency_p50_ms:.0f} / {self.latency_p95_ms:.0f} |"
        )


def summarise(label: str, results: Sequence[QuestionResult]) -> Summary:
    """The means of ``results`` (each rate over the questions it applies to)."""
    answerable = [r for r in results if r.answerable is True]
    unanswerable = [r for r in results if r.answerable is False]
    answered = [r for r in answerable if not r.abstained]
    latencies = [r.latency_ms for r in results] or [0.0]
    return Summary(
        label=label,
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answered=len(answered) / len(answerable) if answerable else None,
        abstained=(
            sum(r.abstained for r in unanswerable) / len(unanswerable) if unanswerable else None
        ),
        facts_found=_mean([r.facts_found for r in answerable]),
        f1=_mean([r.f1 for r in answerable]),
        citation_precision=_mean([r.citation_precision for r in answered]),
        coverage=_mean([r.coverage for r in answered]),
        model_cited=_mean([r.model_cited for r in answered]),
        latency_p50_ms=statistics.median(latencies),
        latency_p95_ms=_percentile(latencies, 95),
    )
