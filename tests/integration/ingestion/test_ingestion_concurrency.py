"""Several documents ingesting at once, on a busy CPU, on every embedding engine.

The chunker counts tokens from the parsing threads while the batcher encodes.
Sharing the embedder's tokenizer reset its padding and truncation in the middle
of an encode: batches came out ragged ("expected sequence of length 202 at dim
1 (got 200)") and the process aborted. Every document must end indexed with
exactly the chunks a lone, single-threaded chunker makes of it.

The first two tests drive the retrieval library alone (embedder, chunker, Qdrant
Edge in a temporary folder): marked ``engines``, they run in stage 1 only; the
last one goes through uploads, the database and the worker, in both stages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from retrieval import (
    MINILM,
    USE_MULTILINGUAL_V3,
    Chunker,
    ChunkingConfig,
    DocumentMeta,
    EmbeddingBatcher,
    EmbeddingConfig,
    Indexer,
    StoreConfig,
    load_embedder,
    open_store,
)
from retrieval.parsing import parse_file
from webapp.knowledge.index_engines import get_embedder, get_store

# (model, backend): MiniLM on both of its backends, and the default USE (numpy, which
# counts chunk tokens on its own MiniLM tokenizer).
ENGINES = [(MINILM, "torch"), (MINILM, "onnx-int8"), (USE_MULTILINGUAL_V3, "numpy")]
HOG_SECONDS = 300  # an upper bound: the hog is killed when the test ends


@contextmanager
def cpu_hog() -> Iterator[None]:
    """A busy loop in another process for the duration (and at most HOG_SECONDS)."""
    loop = (
        f"import time\nend = time.monotonic() + {HOG_SECONDS}\nwhile time.monotonic() < end: pass"
    )
    hog = subprocess.Popen([sys.executable, "-c", loop])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def write_documents(folder: Path, count: int) -> list[Path]:
    """Markdown files of many short sections of uneven length (many counts, uneven batches)."""
    paths = []
    for number in range(count):
        lines = []
        for section in range(12 + 3 * number):
            words = " ".join(
                f"clause{number}x{section}y{w} applies" for w in range(5 + (section * 37) % 140)
            )
            lines.append(f"## Article {section} of policy {number}\n\n{words}.\n")
        path = folder / f"policy-{number}.md"
        path.write_text(f"# Policy {number}\n\n" + "\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def expected_chunks(paths: list[Path], tokenizer: object) -> dict[str, int]:
    """What a single-threaded chunker makes of each file, on an idle CPU."""
    chunker = Chunker(ChunkingConfig(), tokenizer)
    return {p.name: sum(1 for _ in chunker.chunk(parse_file(p).sections)) for p in paths}


@pytest.fixture(scope="module", params=ENGINES, ids=lambda engine: "/".join(engine))
def embedder(request: pytest.FixtureRequest):
    cache = Path(os.environ["ENCLAVE_MODELS_DIR"])
    model, backend = request.param
    torch_or_onnx = backend if backend != "numpy" else EmbeddingConfig.backend
    config = EmbeddingConfig(model=model, threads=1, backend=torch_or_onnx, cache_dir=cache)
    embedder = load_embedder(config)
    assert (embedder.model_name, embedder.backend) == (model, backend)
    return embedder


@pytest.mark.engines
def test_counting_tokens_while_the_model_encodes_never_breaks_a_batch(embedder) -> None:
    chunker = Chunker(ChunkingConfig(), embedder.tokenizer)
    texts = [" ".join(f"term{i}x{j}" for j in range(3 + (i * 41) % 220)) for i in range(48)]
    done = threading.Event()
    counted: list[int] = []

    def count() -> None:
        while not done.is_set():
            counted.append(chunker.count_tokens(texts[len(counted) % len(texts)]))

    counters = [threading.Thread(target=count) for _ in range(2)]
    for thread in counters:
        thread.start()
    try:
        vectors = [embedder.embed_documents(texts[i : i + 12]) for i in range(0, 48, 6)]
    finally:
        done.set()
        for thread in counters:
            thread.join()

    assert [len(v) for v in vectors] == [12] * 7 + [6]
    assert counted and all(n > 0 for n in counted)


@pytest.mark.engines
def test_documents_indexed_at_once_under_a_cpu_hog_get_exact_chunk_counts(
    embedder, tmp_path: Path
) -> None:
    paths = write_documents(tmp_path, 5)
    expected = expected_chunks(paths, embedder.tokenizer)
    store = open_store(
        StoreConfig(kind="edge", path=tmp_path / "index"), dimension=embedder.dimension
    )
    batcher = EmbeddingBatcher(embedder)  # what the worker's threads share
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def ingest(number: int, path: Path) -> None:
        indexer = Indexer(store=store, embedder=batcher)
        meta = DocumentMeta(number, 1, (1,), "", f"{number:064d}")
        try:
            results[path.name] = indexer.index_file(path, meta=meta, filename=path.name).chunk_count
        except BaseException as exc:
            errors.append(exc)

    with cpu_hog():
        threads = [
            threading.Thread(target=ingest, args=(n, p)) for n, p in enumerate(paths, start=1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert results == expected
    assert {p.name: store.count(document_id=n) for n, p in enumerate(paths, 1)} == expected
    store.close()


@pytest.mark.django_db(transaction=True)
def test_uploads_ingested_together_on_a_busy_cpu_are_all_indexed_exactly(
    tmp_path: Path, make_collection, upload, wait_indexed
) -> None:
    paths = write_documents(tmp_path, 6)
    expected = expected_chunks(paths, get_embedder().tokenizer)
    collection = make_collection("Policies")

    with cpu_hog():
        documents = {p.name: upload(collection, p) for p in paths}
        rows = wait_indexed([d.id for d in documents.values()], timeout_s=600)

    assert {name: rows[d.id].status for name, d in documents.items()} == dict.fromkeys(
        expected, "indexed"
    )
    assert {name: rows[d.id].chunk_count for name, d in documents.items()} == expected
    assert {name: get_store().count(document_id=d.id) for name, d in documents.items()} == expected
