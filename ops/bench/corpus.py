"""Real documents for the benchmarks, read from ../shared/eval (never copied into the repo)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval import Chunker, RetrievalError, index_text, parse_file, supported_extensions

__all__ = [
    "DEFAULT_EVAL_ROOT",
    "REPO_ROOT",
    "ChunkedDocument",
    "chunk_documents",
    "default_documents",
    "documents_in",
    "handbook_pages",
]

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EVAL_ROOT = REPO_ROOT.parent / "shared" / "eval" / "enterprise-docs"

AGENCY_REPORTS = "us-fed-agency-reports-docugami"
NTSB_REPORTS = "ntsb-reports-docugami"
UNSTRUCTURED = "unstructured-real-docs"
HANDBOOK_PAGES = "18f-handbook-markdown/pages"


@dataclass(frozen=True)
class ChunkedDocument:
    """One parsed and chunked file: what the Indexer will see for it."""

    path: Path
    size: int
    texts: tuple[str, ...]
    # What the Indexer embeds: each chunk under its title and heading path.
    index_texts: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.path.suffix.lower().lstrip(".")


def handbook_pages(eval_root: Path) -> list[Path]:
    """All Markdown pages of the 18F handbook, in path order."""
    return sorted((eval_root / HANDBOOK_PAGES).rglob("*.md"))


def default_documents(
    eval_root: Path, *, markdown_pages: int, agency_reports: int = 7
) -> list[Path]:
    """The mixed default set: 7 agency PDFs, 3 NTSB PDFs, a DOCX, an HTML, handbook pages."""
    paths = sorted((eval_root / AGENCY_REPORTS).glob("*.pdf"))[:agency_reports]
    paths += sorted((eval_root / NTSB_REPORTS).glob("*.pdf"))[:3]
    paths += [eval_root / UNSTRUCTURED / "handbook-1p.docx"]
    paths += [eval_root / UNSTRUCTURED / "example-10k-1p.html"]
    paths += handbook_pages(eval_root)[:markdown_pages]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing or len(paths) == 2:
        raise SystemExit(f"evaluation documents not found under {eval_root}: {missing or 'all'}")
    return paths


def documents_in(dirs: Sequence[Path]) -> list[Path]:
    """Every file with a supported extension under ``dirs``, in path order."""
    extensions = supported_extensions()
    found: list[Path] = []
    for folder in dirs:
        found += sorted(
            p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in extensions
        )
    return found


def chunk_documents(
    paths: Iterable[Path], chunker: Chunker, *, title_for: Callable[[Path], str] | None = None
) -> tuple[list[ChunkedDocument], list[tuple[Path, str]]]:
    """Parse and chunk each file as the Indexer does; return (kept, skipped with reason).

    Files that fail to parse or have no text are skipped, so both benchmark
    passes run on documents that index successfully. ``title_for`` gives the
    title the Indexer was handed for a file (else the parsed title is used).
    """
    kept: list[ChunkedDocument] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        try:
            parsed = parse_file(path)
            chunks = list(chunker.chunk(parsed.sections))
        except RetrievalError as exc:
            skipped.append((path, f"{type(exc).__name__}: {exc}"))
            continue
        if not chunks:
            skipped.append((path, "no extractable text"))
            continue
        title = (title_for(path) if title_for else "") or parsed.title or ""
        kept.append(
            ChunkedDocument(
                path=path,
                size=path.stat().st_size,
                texts=tuple(chunk.text for chunk in chunks),
                index_texts=tuple(index_text(chunk, title) for chunk in chunks),
            )
        )
    logger.info("chunked documents=%s skipped=%s", len(kept), len(skipped))
    return kept, skipped
