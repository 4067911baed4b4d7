"""The backend used when no language model is configured: the sentences that answer best.

Every sentence of the passages that reads as a statement (headings, bare titles and
fragments are left out) is scored by how well it answers the question, in words and,
when a ``Similarity`` is given, in meaning (``inference.scoring``). The best one is
quoted, then up to ``sentences - 1`` more that score at least ``min_ratio`` of it, each
cited. The answer text is only the quotes: that it is extractive is metadata
(``Answer.notice``), for the interface to label.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from inference.budget import estimate_tokens
from inference.lexical import coverage_scores, statements, terms
from inference.models import ChatTurn, SourcePassage, StreamStats
from inference.rewrite import looks_like_follow_up, rewrite_heuristic
from inference.scoring import Similarity, answer_scores

__all__ = ["ExtractiveChatModel"]

logger = logging.getLogger(__name__)

_WORD_PIECE = re.compile(r"\S+\s*|\s+")
# Sentences scored in meaning per answer (the best by words first): bounds the
# embedding work to a fraction of a second on a CPU.
MAX_CANDIDATES = 32
# How much a follow-up's standalone query (the conversation's context) weighs in the
# score of a quote, against the question as the user wrote it.
_CONTEXT_WEIGHT = 0.35
# Two quotes sharing this share of their terms say the same thing: keep the first.
_DUPLICATE_OVERLAP = 0.8


@dataclass(frozen=True)
class Candidate:
    """One quotable sentence of a passage."""

    passage_number: int
    position: int
    sentence: str


class ExtractiveChatModel:
    """Answers with the passages' sentences that best answer the question, each cited."""

    backend = "extractive"
    # Capabilities (see ``inference.base.ChatModel``).
    generative = False
    # The user's own words choose the quotes; a follow-up's standalone query (built
    # here from ``history``) only weighs in: "Who approves leave requests?" after a
    # question on leave days must quote who approves, not the days again.
    wants_standalone_query = False

    def __init__(
        self,
        *,
        sentences: int = 3,
        similarity: Similarity | None = None,
        name: str = "extractive",
        min_ratio: float = 0.7,
    ) -> None:
        if sentences < 1:
            raise ValueError("sentences must be >= 1")
        if not 0 < min_ratio <= 1:
            raise ValueError("min_ratio must be in (0, 1]")
        self.name = name
        self._sentences = sentences
        self._similarity = similarity
        self._min_ratio = min_ratio

    def with_similarity(self, similarity: Similarity) -> ExtractiveChatModel:
        """The same backend judging meaning with ``similarity`` (e.g. an embedding model)."""
        return ExtractiveChatModel(
            sentences=self._sentences,
            similarity=similarity,
            name=self.name,
            min_ratio=self._min_ratio,
        )

    def candidates(self, question: str, passages: Sequence[SourcePassage]) -> list[Candidate]:
        """The passages' statements (no repeats), at most MAX_CANDIDATES: best in words first."""
        found: list[Candidate] = []
        seen: set[str] = set()
        for passage in sorted(passages, key=lambda item: item.number):
            titles = (passage.title, passage.heading)
            for position, sentence in enumerate(statements(passage.text, titles=titles)):
                key = " ".join(sentence.lower().split())
                if key not in seen:
                    seen.add(key)
                    found.append(Candidate(passage.number, position, sentence))
        if len(found) <= MAX_CANDIDATES:
            return found
        lexical = coverage_scores(question, [c.sentence for c in found])
        best = sorted(range(len(found)), key=lambda i: (-lexical[i], i))[:MAX_CANDIDATES]
        return [found[i] for i in sorted(best)]

    def select(
        self, question: str, passages: Sequence[SourcePassage], history: Sequence[ChatTurn] = ()
    ) -> list[Candidate]:
        """The quotes, best first: the best sentence and those close enough to it."""
        candidates = self.candidates(question, passages)
        if not candidates:
            return []
        sentences = [c.sentence for c in candidates]
        scores = answer_scores(question, sentences, self._similarity)
        if looks_like_follow_up(question, history):
            context = answer_scores(
                rewrite_heuristic(question, history), sentences, self._similarity
            )
            scores = [
                (1 - _CONTEXT_WEIGHT) * own + _CONTEXT_WEIGHT * other
                for own, other in zip(scores, context, strict=True)
            ]
        ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
        best = scores[ranked[0]]
        if best <= 0:
            return [candidates[0]]  # nothing matches: the first statement of the best passage
        chosen: list[Candidate] = []
        for index in ranked:
            if len(chosen) == self._sentences or scores[index] < best * self._min_ratio:
                break
            if not any(_same(candidates[index], other) for other in chosen):
                chosen.append(candidates[index])
        return chosen

    def compose(
        self, question: str, passages: Sequence[SourcePassage], history: Sequence[ChatTurn] = ()
    ) -> str:
        """The whole extractive answer: each quote followed by its passage's marker."""
        return " ".join(
            f"{candidate.sentence} [{candidate.passage_number}]"
            for candidate in self.select(question, passages, history)
        )

    def stream(
        self,
        *,
        question: str,
        passages: Sequence[SourcePassage],
        history: Sequence[ChatTurn] = (),
    ) -> Generator[str, None, StreamStats]:
        """Yield the extractive answer word by word."""
        text = self.compose(question, passages, history)
        logger.info("extractive answer: %s passages, %s chars", len(passages), len(text))
        yield from _WORD_PIECE.findall(text)
        tokens_in = estimate_tokens(question) + sum(estimate_tokens(p.text) for p in passages)
        return StreamStats(model=self.name, tokens_in=tokens_in, tokens_out=estimate_tokens(text))


def _same(one: Candidate, other: Candidate) -> bool:
    a, b = set(terms(one.sentence)), set(terms(other.sentence))
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= _DUPLICATE_OVERLAP
