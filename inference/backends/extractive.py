"""The backend used when no language model is configured: best sentences, with citations."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from inference.budget import estimate_tokens
from inference.language import detect_language
from inference.lexical import overlap_scores, split_sentences
from inference.models import ChatTurn, SourcePassage, StreamStats

logger = logging.getLogger(__name__)

Similarity = Callable[[str, Sequence[str]], list[float]]

LABELS = {
    "en": "Extractive answer (no language model configured): the most relevant sentences "
    "from your documents.",
    "pt": "Resposta extrativa (nenhum modelo de linguagem configurado): as frases mais "
    "relevantes dos seus documentos.",
}
_WORD_PIECE = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class _Candidate:
    passage_number: int
    position: int
    sentence: str


class ExtractiveChatModel:
    """Answers with the passages' sentences that best match the question, each cited."""

    backend = "extractive"

    def __init__(
        self, *, sentences: int = 3, similarity: Similarity | None = None, name: str = "extractive"
    ) -> None:
        if sentences < 1:
            raise ValueError("sentences must be >= 1")
        self.name = name
        self._sentences = sentences
        self._similarity = similarity or overlap_scores

    def select(self, question: str, passages: Sequence[SourcePassage]) -> list[_Candidate]:
        """Return the best sentences, best first (ties go to higher-ranked passages)."""
        candidates = [
            _Candidate(passage.number, position, sentence)
            for passage in sorted(passages, key=lambda item: item.number)
            for position, sentence in enumerate(split_sentences(passage.text))
        ]
        if not candidates:
            return []
        scores = self._similarity(question, [candidate.sentence for candidate in candidates])
        ranked = sorted(
            zip(scores, range(len(candidates)), strict=True), key=lambda pair: (-pair[0], pair[1])
        )
        chosen = [candidates[index] for score, index in ranked if score > 0][: self._sentences]
        return chosen or [candidates[0]]

    def compose(self, question: str, passages: Sequence[SourcePassage]) -> str:
        """Return the whole extractive answer text."""
        label = LABELS[detect_language(question)]
        body = " ".join(
            f"{candidate.sentence} [{candidate.passage_number}]"
            for candidate in self.select(question, passages)
        )
        return f"{label}\n\n{body}" if body else label

    def stream(
        self,
        *,
        question: str,
        passages: Sequence[SourcePassage],
        history: Sequence[ChatTurn] = (),
    ) -> Generator[str, None, StreamStats]:
        """Yield the extractive answer word by word."""
        text = self.compose(question, passages)
        logger.info("extractive answer: %s passages, %s chars", len(passages), len(text))
        yield from _WORD_PIECE.findall(text)
        tokens_in = estimate_tokens(question) + sum(estimate_tokens(p.text) for p in passages)
        return StreamStats(model=self.name, tokens_in=tokens_in, tokens_out=estimate_tokens(text))
