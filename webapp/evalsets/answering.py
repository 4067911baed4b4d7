"""One evaluation question answered as the chat answers it, without storing anything.

Shared by ``enclave eval answers`` (a scratch index, no database) and evaluation
runs from the console (the user's index): both gate the search results with the
relevance rule and call ``answer_stream`` with the routed model, its fallbacks and
the sentence-support check, as the chat does. Free of Django so that the CLI can
use it without a configured database.
"""

from __future__ import annotations

from collections.abc import Sequence

from inference import Answer, AnswerDone, ModelRouter, answer_stream
from retrieval import Embedder, Passage, relevant_passages
from webapp.chat.events import Source, passage_as_source, source_passage
from webapp.chat.grounding import embedding_similarity
from webapp.config.settings import EnclaveSettings

__all__ = ["answer_like_chat", "gated_sources"]


def gated_sources(found: Sequence[Passage], settings: EnclaveSettings) -> list[Source]:
    """The passages that pass the relevance gate, numbered from 1 as the chat cites them."""
    passages = relevant_passages(
        found, config=settings.search_config(), min_score=settings.answer.min_score
    )
    return [passage_as_source(n, p) for n, p in enumerate(passages, start=1)]


def answer_like_chat(
    question: str,
    sources: list[Source],
    *,
    router: ModelRouter,
    embedder: Embedder,
    settings: EnclaveSettings,
) -> Answer:
    """``answer_stream`` as the chat calls it (routed model, fallbacks, sentence support)."""
    route = router.route(question=question)
    similarity = embedding_similarity(embedder) if settings.answer.support_check else None
    *_, done = answer_stream(
        route.model,
        question=question,
        passages=[source_passage(s) for s in sources],
        fallbacks=route.fallbacks,
        last_resort=route.last_resort,
        similarity=similarity,
        min_support=settings.answer.support_min_similarity,
    )
    assert isinstance(done, AnswerDone)  # answer_stream always ends with it
    return done.answer
