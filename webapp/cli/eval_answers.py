"""``enclave eval answers``: measure the answers employees read, end to end.

    enclave eval answers --dataset ../shared/eval/pira [--split dev|test]
        [--llm-endpoint BASE_URL|MODEL] [--language en|pt] [--limit N]
        [--unanswerable FILE.jsonl ...] [--per-question FILE] [--out FILE]

The documents go into a scratch Qdrant Edge store (deleted afterwards) through the
real ingestion; each question then takes the chat's path: the permission-filtered
search, the relevance gate, ``answer_stream`` (extractive, or the OpenAI-compatible
server named) with its citation renumbering and attribution. Scores are defined in
``webapp/chat/answer_scoring.py``; data formats in ``webapp/chat/answer_sets.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from webapp.cli.eval_options import dataset_option, embedding_cache_option, eval_root_option
from webapp.cli.output import console
from webapp.config.settings import EnclaveSettings, get_settings

if TYPE_CHECKING:
    from inference import ModelRouter
    from retrieval import Embedder, Indexer, Searcher
    from webapp.chat.answer_scoring import QuestionResult
    from webapp.chat.answer_sets import AnswerSet, EvalQuestion

__all__ = ["answers_command"]

logger = logging.getLogger(__name__)

GROUP = 1  # every evaluation document is readable by this one group
COLLECTION = 1


@click.command("answers")
@dataset_option("Pirá or FaQuAD folder, or a question set (questions.jsonl + set.json).")
@click.option("--split", type=click.Choice(["dev", "test"]), default="test", show_default=True)
@click.option(
    "--llm-endpoint",
    default="",
    help="BASE_URL|MODEL of an OpenAI-compatible server; default: extractive answers.",
)
@click.option("--language", type=click.Choice(["en", "pt"]), default=None, help="One language.")
@click.option("--limit", type=int, default=None, help="At most N questions per language and kind.")
@click.option(
    "--unanswerable",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="More questions (JSONL) asked over the same documents, e.g. off-topic ones.",
)
@eval_root_option
@click.option("--per-question", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@embedding_cache_option
def answers_command(
    dataset: Path,
    split: str,
    llm_endpoint: str,
    language: str | None,
    limit: int | None,
    unanswerable: tuple[Path, ...],
    eval_root: Path,
    per_question: Path | None,
    out: Path | None,
    embedding_cache: Path | None,
) -> None:
    """Answer a question set as the chat does; report correctness, citations, abstention."""
    from webapp.chat.answer_sets import load_answer_set, read_questions

    found = load_answer_set(dataset, split=split, eval_root=eval_root, language=language)
    for path in unanswerable:
        extra = read_questions(path, split=split)
        found = found.with_questions(q for q in extra if language in (None, q.language))
    found = found.limited(limit)
    console.print(
        f"{len(found.questions)} questions over {len(found.corpus) + len(found.files)} "
        f"documents ({found.name}, {split})."
    )
    started = time.perf_counter()
    results = _run(found, endpoint=llm_endpoint, embedding_cache=embedding_cache)
    text = _report(found.name, split, llm_endpoint, results, time.perf_counter() - started)
    console.print(text, markup=False)
    if per_question is not None:
        lines = [json.dumps(dataclasses.asdict(r), ensure_ascii=False) for r in results]
        per_question.parent.mkdir(parents=True, exist_ok=True)
        per_question.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"Wrote {out}")


def _run(found: AnswerSet, *, endpoint: str, embedding_cache: Path | None) -> list[QuestionResult]:
    """Index the documents into a scratch store and answer every question."""
    from retrieval import Indexer, Searcher, load_embedder, load_reranker
    from retrieval.evaluation import CachingEmbedder
    from retrieval.store.edge import EdgeStore

    settings = get_settings()
    embedder = load_embedder(settings.embedding_config())
    cache = CachingEmbedder(embedder, embedding_cache) if embedding_cache else None
    router = _router(settings, endpoint)
    with tempfile.TemporaryDirectory(prefix="enclave-eval-answers-") as scratch:
        store = EdgeStore(Path(scratch) / "edge", dimension=embedder.dimension)
        try:
            indexer = Indexer(
                store=store, embedder=cache or embedder, chunking=settings.chunking_config()
            )
            names = _index(found, indexer, Path(scratch))
            store.optimize()
            if cache is not None:
                cache.save()
            searcher = Searcher(
                store=store,
                embedder=embedder,
                config=settings.search_config(),
                reranker=load_reranker(settings.rerank_config()),
            )
            asker = _Asker(searcher, router, embedder, names, settings)
            return [asker.ask(question) for question in found.questions]
        finally:
            store.close()
            router.close()


def _router(settings: EnclaveSettings, endpoint: str) -> ModelRouter:
    from inference import build_catalogue, parse_endpoints, router_from_config

    endpoints = parse_endpoints(endpoint) if endpoint.strip() else ()
    config = dataclasses.replace(
        settings.inference_config(),
        endpoints=endpoints,
        models=build_catalogue(endpoints),
        health_interval_s=0,
        rewrite_follow_ups=False,
    )
    return router_from_config(config)


def _index(found: AnswerSet, indexer: Indexer, scratch: Path) -> dict[int, str]:
    """Every document through the real ingestion; our document id -> the set's id."""
    from retrieval import DocumentMeta
    from retrieval.errors import RetrievalError

    texts = scratch / "texts"
    texts.mkdir()
    documents: list[tuple[str, Path, str]] = []
    for number, (doc, (title, text)) in enumerate(found.corpus.items(), start=1):
        path = texts / f"{number}.txt"
        path.write_text(text if text.strip() else title, encoding="utf-8")
        documents.append((doc, path, title))  # no title: none (an id would reach the prompt)
    documents += [(doc, path, Path(doc).stem) for doc, path in found.files.items()]
    names: dict[int, str] = {}
    for number, (doc, path, title) in enumerate(documents, start=1):
        meta = DocumentMeta(
            document_id=number,
            collection_id=COLLECTION,
            group_ids=(GROUP,),
            title=title,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        try:
            indexer.index_file(path, meta=meta)
        except RetrievalError as exc:
            logger.warning("evaluation document %s not indexed: %s", doc, exc.code)
            continue
        names[number] = doc
        if number % 100 == 0 or number == len(documents):
            console.print(f"indexed {number}/{len(documents)} documents")
    return names


class _Asker:
    """One question through the chat's path: search, gate, answer, renumbering."""

    def __init__(
        self,
        searcher: Searcher,
        router: ModelRouter,
        embedder: Embedder,
        names: dict[int, str],
        settings: EnclaveSettings,
    ) -> None:
        self._searcher, self._router, self._embedder = searcher, router, embedder
        self._names, self._settings = names, settings

    def ask(self, question: EvalQuestion) -> QuestionResult:
        """Search, gate, answer and score one question."""
        from inference.errors import InferenceError
        from webapp.chat.answer_scoring import score_answer, score_failure
        from webapp.evalsets.answering import answer_like_chat, gated_sources

        settings = self._settings
        started = time.perf_counter()
        found = self._searcher.search(
            question.question, allowed_group_ids=[GROUP], limit=settings.search.limit
        )
        sources = gated_sources(found, settings)
        try:
            answer = answer_like_chat(
                question.question,
                sources,
                router=self._router,
                embedder=self._embedder,
                settings=settings,
            )
        except InferenceError as exc:
            logger.warning("question %s failed: %s", question.id, exc.code)
            elapsed = (time.perf_counter() - started) * 1000
            return score_failure(question, code=exc.code, latency_ms=elapsed)
        return score_answer(
            question,
            answer,
            sources,
            document_name=lambda document_id: self._names.get(document_id, ""),
            latency_ms=(time.perf_counter() - started) * 1000,
        )


def _report(
    name: str, split: str, endpoint: str, results: Sequence[QuestionResult], seconds: float
) -> str:
    from webapp.chat.answer_scoring import Summary, summarise

    model = endpoint.partition("|")[2] or endpoint or "extractive (no language model)"
    rows = [summarise(f"{name} all", results)]
    for language in sorted({r.language for r in results}):
        rows.append(summarise(f"{name} {language}", [r for r in results if r.language == language]))
    failed = sum(
        1 for r in results if r.notice and r.notice not in ("extractive", "model_unavailable")
    )
    lines = [
        f"Answers by `{model}`, split `{split}`, {len(results)} questions in {seconds:.0f} s.",
        "",
        Summary.HEADER,
        *(row.row() for row in rows if row.questions),
    ]
    if failed:
        lines += ["", f"- {failed} questions failed (a model error); scored as wrong."]
    return "\n".join(lines)
