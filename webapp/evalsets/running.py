"""Running an evaluation set as one user, through the chat's permission-filtered path.

Each question is searched with the user's search scope (``search_scope_for``: the
group filter inside the vector store, as every chat question) and, for the answers
kind, gated and answered by ``answer_stream`` with the routed model, as the chat
does (without storing a conversation). The expected document is matched by title
among the documents the user may read: one the user cannot read is a miss. The
metrics are the ones ``enclave eval retrieval`` and ``enclave eval answers`` report
(``retrieval.evaluation``, ``webapp/chat/answer_scoring.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from inference.errors import InferenceError
from retrieval import Passage, Searcher
from retrieval.errors import RetrievalError
from retrieval.evaluation import ModeResult, documents_ranked, ndcg_at_k, rank_of_relevant
from webapp.chat.answer_scoring import QuestionResult, score_answer, score_failure, summarise
from webapp.chat.answer_sets import EvalQuestion
from webapp.config.settings import get_settings
from webapp.core.engines import get_chat_router
from webapp.evalsets.answering import answer_like_chat, gated_sources
from webapp.evalsets.models import EvalItem, EvalKind, EvalRun
from webapp.knowledge.index_engines import get_embedder
from webapp.knowledge.models import DocumentStatus
from webapp.knowledge.selectors import document_list_visible_to, search_scope_for

__all__ = ["RANKED_CHUNKS", "evaluate_items"]

logger = logging.getLogger(__name__)

# Chunks fetched per question for the retrieval kind: enough to rank ten documents.
RANKED_CHUNKS = 50
TOP_SHOWN = 3


@dataclasses.dataclass
class _Context:
    user: Any
    searcher: Searcher
    # title (lowercase) -> ids of the readable indexed documents with that title
    titles: dict[str, list[int]]
    # document id -> title, for the readable documents
    names: dict[int, str]


def evaluate_items(
    run: EvalRun, items: list[EvalItem], *, searcher: Searcher, progress: Callable[[int], None]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(metrics, per-question results) of ``items`` asked as ``run.run_as``."""
    context = _context(run.run_as, searcher)
    if run.kind == EvalKind.RETRIEVAL:
        return _retrieval(items, context, progress)
    return _answers(items, context, progress)


def _context(user: Any, searcher: Searcher) -> _Context:
    readable = document_list_visible_to(user=user).filter(status=DocumentStatus.INDEXED)
    titles: dict[str, list[int]] = {}
    names: dict[int, str] = {}
    for document_id, title in readable.values_list("id", "title"):
        titles.setdefault(title.strip().lower(), []).append(document_id)
        names[document_id] = title
    return _Context(user=user, searcher=searcher, titles=titles, names=names)


def _search(context: _Context, query: str, limit: int) -> list[Passage]:
    """The chat's search: the user's groups and collections as the vector-store filter."""
    scope = search_scope_for(user=context.user, collection_ids=None)
    if not scope.group_ids:
        return []
    return context.searcher.search(
        query, allowed_group_ids=scope.group_ids, collection_ids=scope.collection_ids, limit=limit
    )


def _retrieval(
    items: list[EvalItem], context: _Context, progress: Callable[[int], None]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Recall@1/3/5, nDCG@10 and MRR@10 over the questions that name a document."""
    totals = ModeResult(mode="hybrid")
    results = []
    judged = 0
    for done, item in enumerate(items, start=1):
        if item.answerable and item.expected_title:
            judged += 1
            results.append(_rank_one(item, context, totals))
        progress(done)
    totals.finish(judged)
    metrics = {
        "questions": judged,
        "recall@1": round(totals.recall1, 4),
        "recall@3": round(totals.recall3, 4),
        "recall@5": round(totals.recall5, 4),
        "ndcg@10": round(totals.ndcg10, 4),
        "mrr@10": round(totals.mrr10, 4),
    }
    return metrics, results


def _rank_one(item: EvalItem, context: _Context, totals: ModeResult) -> dict[str, Any]:
    expected = context.titles.get(item.expected_title.strip().lower(), [])
    relevant = {str(document_id): 1 for document_id in expected}
    try:
        passages = _search(context, item.question, RANKED_CHUNKS)
    except RetrievalError as exc:
        logger.warning("evaluation question %s: search failed: %s", item.position, exc.code)
        passages = []
    ranked = documents_ranked(passages, {p.document_id: str(p.document_id) for p in passages})
    totals.per_query_ndcg10[str(item.position)] = ndcg_at_k(ranked, relevant, 10)
    totals.add(ranked, relevant)
    return {
        "position": item.position,
        "question": item.question,
        "language": item.language,
        "expected": item.expected_title,
        # False: no document of that title is readable by the user (scored as a miss).
        "readable": bool(expected),
        "rank": rank_of_relevant(ranked, relevant),
        "top": [context.names.get(int(d), "") for d in ranked[:TOP_SHOWN]],
    }


def _answers(
    items: list[EvalItem], context: _Context, progress: Callable[[int], None]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Facts found, token F1, citation precision and coverage, abstention, latency."""
    scored: list[QuestionResult] = []
    for done, item in enumerate(items, start=1):
        scored.append(_answer_one(item, context))
        progress(done)
    summary = dataclasses.asdict(summarise("all", scored))
    metrics = {
        key: round(value, 4) if isinstance(value, float) else value
        for key, value in summary.items()
        if key not in ("label", "notes")
    }
    results = [
        {"position": item.position, "question": item.question, **dataclasses.asdict(result)}
        for item, result in zip(items, scored, strict=True)
    ]
    return metrics, results


def _answer_one(item: EvalItem, context: _Context) -> QuestionResult:
    """One question through search, the relevance gate and the routed model, scored."""
    started = time.perf_counter()
    expected = context.titles.get(item.expected_title.strip().lower(), [])
    question = EvalQuestion(
        id=str(item.position),
        question=item.question,
        language=item.language,
        answerable=item.answerable,
        references=(item.expected_answer,) if item.expected_answer else (),
        facts=tuple(item.facts),
        doc=str(expected[0]) if expected else "",
        evidence=tuple(item.facts),
    )
    settings = get_settings()
    try:
        found = _search(context, item.question, settings.search.limit)
        sources = gated_sources(found, settings)
        answer = answer_like_chat(
            item.question,
            sources,
            router=get_chat_router(),
            embedder=get_embedder(),
            settings=settings,
        )
    except (InferenceError, RetrievalError) as exc:
        logger.warning("evaluation question %s failed: %s", item.position, exc.code)
        return score_failure(question, code=exc.code, latency_ms=_ms_since(started))
    return score_answer(question, answer, sources, document_name=str, latency_ms=_ms_since(started))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
