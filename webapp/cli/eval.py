"""``enclave eval retrieval``: measure retrieval quality on an evaluation data set.

    enclave eval retrieval --dataset ../shared/eval/beir-scifact [--split test]
                           [--mode dense --mode bm25 --mode hybrid] [--per-query FILE]
                           [--limit-docs N] [--limit-queries N] [--out FILE]

``--dataset`` is a BEIR folder (SciFact), Pirá's folder (``--language`` of the
questions, ``--corpus`` language of the texts), a SQuAD JSON file (FaQuAD) or a
question-set JSONL file (documents under ``--eval-root``). Uses the configured
embedding model, search settings and reranker, but never the site's index: the
corpus goes into a scratch Qdrant Edge store that is deleted afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from webapp.cli.eval_answers import answers_command
from webapp.cli.eval_options import dataset_option, embedding_cache_option, eval_root_option
from webapp.cli.output import console
from webapp.config.settings import get_settings

__all__ = ["eval_group"]

MODES = ("dense", "bm25", "hybrid", "hybrid+rerank")


@click.group("eval")
def eval_group() -> None:
    """Evaluate search quality on public benchmark data."""


@eval_group.command("retrieval")
@dataset_option("BEIR or Pirá folder, SQuAD .json file, or question-set .jsonl file.")
@click.option("--split", default="test", show_default=True, help="Which split to ask.")
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice(MODES),
    help="Search modes to run (repeatable); default: all.",
)
@click.option("--language", default=None, help="Pirá: question language (en, pt).")
@click.option("--corpus", default=None, help="Pirá: document language (en, pt = translation).")
@eval_root_option
@click.option("--limit-docs", type=int, default=None, help="BEIR: index at most N documents.")
@click.option("--limit-queries", type=int, default=None, help="BEIR: ask only the first N.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write markdown."
)
@click.option(
    "--per-query",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write one JSON line per query: id, language, rank of the relevant document "
    "and top document ids per mode.",
)
@embedding_cache_option
def retrieval_command(
    dataset: Path,
    split: str,
    modes: tuple[str, ...],
    language: str | None,
    corpus: str | None,
    eval_root: Path,
    limit_docs: int | None,
    limit_queries: int | None,
    out: Path | None,
    per_query: Path | None,
    embedding_cache: Path | None,
) -> None:
    """Index a data set through the real pipeline; report nDCG@10, recall@k, MRR, latency."""
    from retrieval import load_embedder, load_reranker
    from retrieval.embedding import embedding_identity
    from retrieval.eval_data import load_beir, load_dataset
    from retrieval.evaluation import CachingEmbedder, run_evaluation

    settings = get_settings()
    if limit_docs is not None or limit_queries is not None:
        data = load_beir(dataset, split=split, limit_docs=limit_docs, limit_queries=limit_queries)
    else:
        data = load_dataset(
            dataset, split=split, language=language, corpus=corpus, eval_root=eval_root
        )
    documents = len(data.corpus) + len(data.files)
    console.print(f"{documents} documents, {len(data.queries)} queries ({data.split}).")
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
        modes=modes or MODES,
    )
    if cache is not None:
        cache.save()
    text = (
        f"Dataset `{dataset.name}`, embedding model `{embedding_identity(embedder)}`"
        f"{', reranker ' + str(settings.search.rerank_model_dir) if reranker else ''}"
        f"{' (passage vectors from ' + str(embedding_cache) + ')' if cache else ''}.\n\n"
        + report.markdown()
    )
    console.print(text, markup=False)
    _write(out, text + "\n")
    if per_query is not None:
        _write(per_query, "".join(line + "\n" for line in report.per_query_lines()))


def _write(path: Path | None, text: str) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    console.print(f"Wrote {path}")


eval_group.add_command(answers_command)

from webapp.cli.eval_sets import sets_group  # noqa: E402  (enclave eval sets ...)

eval_group.add_command(sets_group)
