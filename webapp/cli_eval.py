"""``enclave eval``: measure retrieval quality on a BEIR-format dataset.

    enclave eval retrieval --dataset ../shared/eval/beir-scifact [--limit-docs N]
                           [--limit-queries N] [--split test] [--out FILE]

Uses the configured embedding model, search weights and reranker (settings),
but never the site's index: the corpus goes into a scratch Qdrant Edge store
that is deleted afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console

from webapp.config.settings import get_settings

__all__ = ["eval_group"]

console = Console(highlight=False, soft_wrap=True)


@click.group("eval")
def eval_group() -> None:
    """Evaluate search quality on public benchmark data."""


@eval_group.command("retrieval")
@click.option(
    "--dataset",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="BEIR folder: corpus.jsonl, queries*.jsonl, qrels/<split>.tsv.",
)
@click.option("--split", default="test", show_default=True, help="Which qrels file to use.")
@click.option("--limit-docs", type=int, default=None, help="Index at most N documents.")
@click.option("--limit-queries", type=int, default=None, help="Ask only the first N queries.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write markdown."
)
@click.option(
    "--embedding-cache",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A .npz file of passage vectors reused between runs (queries are always encoded).",
)
def retrieval_command(
    dataset: Path,
    split: str,
    limit_docs: int | None,
    limit_queries: int | None,
    out: Path | None,
    embedding_cache: Path | None,
) -> None:
    """Index a BEIR dataset through the real pipeline and report nDCG@10, recall, MRR, latency."""
    from retrieval import load_embedder, load_reranker
    from retrieval.embedding import embedding_identity
    from retrieval.evaluation import CachingEmbedder, load_beir, run_evaluation

    settings = get_settings()
    data = load_beir(dataset, split=split, limit_docs=limit_docs, limit_queries=limit_queries)
    console.print(f"{len(data.corpus)} documents, {len(data.queries)} queries ({split}).")
    embedder = load_embedder(settings.embedding_config())
    cache = CachingEmbedder(embedder, embedding_cache) if embedding_cache else None
    reranker = load_reranker(settings.rerank_config())
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 250 == 0 or done == total:
            elapsed = time.perf_counter() - started
            console.print(f"indexed {done}/{total} documents in {elapsed:.0f} s")

    report = run_evaluation(
        data,
        embedder=cache or embedder,
        chunking=settings.chunking_config(),
        search=settings.search_config(),
        reranker=reranker,
        on_document=progress,
    )
    if cache is not None:
        cache.save()
    text = (
        f"Dataset `{dataset.name}`, embedding model `{embedding_identity(embedder)}`"
        f"{', reranker ' + str(settings.search_rerank_model_dir) if reranker else ''}"
        f"{' (passage vectors from ' + str(embedding_cache) + ')' if cache else ''}.\n\n"
        + report.markdown()
    )
    console.print(text, markup=False)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"Wrote {out}")


from webapp.cli_eval_answers import answers_command  # noqa: E402  (enclave eval answers)

eval_group.add_command(answers_command)
