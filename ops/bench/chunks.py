"""Chunks per document, by document type: the first figure of any sizing.

    python -m ops.bench.chunks [--eval-root DIR] [--out ops/bench/results/chunks.md]

Parses and chunks every supported file of the enterprise documents (PDF, DOCX,
PPTX, XLSX, HTML, Markdown, text, EPUB) as the indexer does, with the default
chunking and the default embedding model's tokenizer, and reports per type:
files, size, pages (PDF; sections elsewhere), chunks, chunks per page and per
100 KB, and index text characters per chunk (what a point's payload holds).
Nothing is embedded. ``ops/SIZING.md`` multiplies these out.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ops.bench.corpus import DEFAULT_EVAL_ROOT, REPO_ROOT, documents_in
from ops.bench.report import markdown_table, write_report
from retrieval import (
    Chunker,
    ChunkingConfig,
    EmbeddingConfig,
    RetrievalError,
    load_embedder,
    parse_file,
)

__all__ = ["main"]


@dataclass
class TypeTotals:
    """Sums over the files of one type."""

    files: int = 0
    size: int = 0
    sections: int = 0
    chunks: int = 0
    characters: int = 0
    failed: int = 0


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.chunks", description=__doc__)
    parser.add_argument("--eval-root", type=Path, default=DEFAULT_EVAL_ROOT)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "ops/bench/results/chunks.md")
    return parser.parse_args(argv)


def _count(paths: Sequence[Path], chunker: Chunker) -> dict[str, TypeTotals]:
    totals: dict[str, TypeTotals] = defaultdict(TypeTotals)
    for path in paths:
        kind = totals[path.suffix.lower().lstrip(".")]
        try:
            parsed = parse_file(path)
            sections = list(parsed.sections)
            chunks = list(chunker.chunk(sections))
        except RetrievalError:
            kind.failed += 1
            continue
        kind.files += 1
        kind.size += path.stat().st_size
        kind.sections += len(sections)
        kind.chunks += len(chunks)
        kind.characters += sum(len(chunk.text) for chunk in chunks)
    return totals


def _table(totals: dict[str, TypeTotals]) -> str:
    rows = []
    for kind, t in sorted(totals.items(), key=lambda item: -item[1].chunks):
        if not t.files:
            continue
        rows.append(
            [
                kind,
                t.files,
                round(t.size / 1024),
                t.sections,
                t.chunks,
                round(t.chunks / t.sections, 2),
                round(t.chunks / (t.size / 102_400), 1),
                round(t.characters / t.chunks),
                t.failed,
            ]
        )
    headers = [
        "type",
        "files",
        "KB",
        "pages or sections",
        "chunks",
        "chunks per page/section",
        "chunks per 100 KB",
        "characters per chunk",
        "failed",
    ]
    return markdown_table(headers, rows)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    paths = documents_in([args.eval_root])
    if not paths:
        raise SystemExit(
            f"no documents under {args.eval_root}: point --eval-root at the enterprise "
            "documents (../shared/eval/enterprise-docs beside the checkout)"
        )
    embedder = load_embedder(EmbeddingConfig())
    chunker = Chunker(ChunkingConfig(), embedder.tokenizer)
    started = time.perf_counter()
    totals = _count(paths, chunker)
    seconds = time.perf_counter() - started
    command = shlex.join(["python", "-m", "ops.bench.chunks", *sys.argv[1:]])
    config = ChunkingConfig()
    write_report(
        args.out,
        "\n\n".join(
            [
                "# Chunks per document type",
                f"Command: `{command}`",
                f"{len(paths)} files under the evaluation documents, chunked as the indexer "
                f"does ({config.chunk_tokens}-token chunks, {config.overlap_tokens}-token "
                f"overlap, tokenizer of {embedder.model_name}); parsing and chunking took "
                f"{seconds:.0f} s. Pages for PDF, slides for PPTX, sheets for XLSX, "
                "sections (headings) elsewhere.",
                _table(totals),
            ]
        ),
    )


if __name__ == "__main__":
    main()
