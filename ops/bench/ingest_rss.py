"""Peak memory of ingesting one file, each in a fresh process.

    python -m ops.bench.ingest_rss FILE [--threads N]   (prints one JSON line)

The child loads the model and the language detector, warms them up, notes its RSS, resets the peak
(VmHWM), then indexes the file as the worker does (``Indexer`` fed by the
shared ``EmbeddingBatcher``, into a scratch Qdrant Edge store) and reports the
peak. ``measure_files`` runs the children side by side (their seconds are
therefore not throughput figures) for the benchmark report.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ops.bench.measure import current_rss_mib, peak_rss_mib, reset_peak_rss

__all__ = ["RssResult", "measure_files"]

# Lines of a failed child's stderr shown.
_STDERR_LINES = 40


@dataclass
class RssResult:
    """One file's memory figures, in MiB."""

    path: Path
    pages: int | None
    chunks: int
    seconds: float
    rss_model_mib: float
    peak_mib: float

    @property
    def growth_mib(self) -> float:
        return self.peak_mib - self.rss_model_mib


def _pages(path: Path) -> int | None:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader

        return len(PdfReader(path).pages)
    if suffix == ".docx":
        # Word's own count, saved in docProps/app.xml (python-docx cannot paginate).
        with zipfile.ZipFile(path) as archive:
            if "docProps/app.xml" not in archive.namelist():
                return None
            app = archive.read("docProps/app.xml").decode("utf-8", "replace")
        match = re.search(r"<Pages>(\d+)</Pages>", app)
        return int(match.group(1)) if match else None
    return None


def _child(path: Path, threads: int) -> dict[str, object]:
    from retrieval import (
        DocumentMeta,
        EmbeddingBatcher,
        EmbeddingConfig,
        Indexer,
        SparseEncoder,
        StoreConfig,
        load_embedder,
        open_store,
    )

    embedder = load_embedder(EmbeddingConfig(threads=threads))
    # A full batch of full-length texts: torch's allocator keeps the activation
    # memory of the largest batch it has run, a fixed cost, not the document's.
    embedder.embed_documents(["warm-up words " * 200] * 32)
    # Load the language detector's models now: a fixed cost, not the document's.
    sparse = SparseEncoder()
    sparse.encode_document("warm-up", language=sparse.detect_language("warm-up text"))
    with tempfile.TemporaryDirectory(prefix="enclave-bench-rss-") as scratch:
        store = open_store(StoreConfig(kind="edge", path=Path(scratch)), dimension=384)
        indexer = Indexer(store=store, embedder=EmbeddingBatcher(embedder), sparse=sparse)
        meta = DocumentMeta(1, 1, (1,), "", "0" * 64)
        rss_model = current_rss_mib()
        if not reset_peak_rss():
            raise SystemExit("cannot reset VmHWM (/proc/self/clear_refs): no peak to report")
        started = time.perf_counter()
        chunks = indexer.index_file(path, meta=meta).chunk_count
        seconds = time.perf_counter() - started
        peak = peak_rss_mib()
        store.close()
    return {"chunks": chunks, "seconds": seconds, "rss_model_mib": rss_model, "peak_mib": peak}


def measure_files(paths: Sequence[Path], *, threads: int) -> list[RssResult]:
    """Run one fresh child process per file, all at once (memory is per process), and collect.

    A child that fails stops the benchmark with its exit status (a signal is named)
    and the end of its stderr, kept in a file so that no child ever blocks on a pipe.
    """
    print(f"RSS: ingesting {len(paths)} files, each in a fresh process", flush=True)
    with tempfile.TemporaryDirectory(prefix="enclave-bench-rss-logs-") as logs:
        errors = [
            (Path(logs) / f"{n}-{path.name}.stderr").open("w+") for n, path in enumerate(paths)
        ]
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ops.bench.ingest_rss",
                    str(path),
                    "--threads",
                    str(threads),
                ],
                stdout=subprocess.PIPE,
                stderr=error,
                text=True,
            )
            for path, error in zip(paths, errors, strict=True)
        ]
        results = []
        for path, child, error in zip(paths, children, errors, strict=True):
            out, _ = child.communicate()
            if child.returncode != 0:
                for other in children:
                    other.kill()
                raise SystemExit(_failure(path, child.returncode, error))
            figures = json.loads(out.strip().splitlines()[-1])
            results.append(RssResult(path=path, pages=_pages(path), **figures))
        for error in errors:
            error.close()
    return results


def _failure(path: Path, returncode: int, stderr: IO[str]) -> str:
    """Why a child failed: its exit status and the last lines it wrote to stderr."""
    status = (
        f"signal {signal.Signals(-returncode).name}" if returncode < 0 else f"exit {returncode}"
    )
    stderr.seek(0)
    tail = "".join(stderr.readlines()[-_STDERR_LINES:]).rstrip()
    return f"the RSS child for {path.name} failed ({status}); its stderr ends with:\n{tail}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.ingest_rss", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(_child(args.file, args.threads)))


if __name__ == "__main__":
    main()
