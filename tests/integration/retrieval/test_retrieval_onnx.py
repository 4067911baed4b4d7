"""ONNX int8 embeddings: exported once offline, close to fp32, searchable, never mixed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from retrieval import (
    MINILM,
    Embedder,
    EmbeddingConfig,
    IndexConfigurationError,
    Indexer,
    Searcher,
    SparseEncoder,
    StoreConfig,
    embedding_identity,
    load_embedder,
    open_store,
    runnable_backend,
)
from retrieval.embedding_onnx import MANIFEST_FILE, MODEL_FILE
from tests.integration.retrieval.test_retrieval_pipeline import HR, LEAVE, handbook, meta

# Two processes race to export into one fresh cache directory; the lock lets one export.
EXPORT_SCRIPT = """
import sys
from pathlib import Path
from retrieval.embedding import packaged_minilm_dir
from retrieval.embedding_onnx import ensure_onnx_int8_model, onnx_int8_dir
source = packaged_minilm_dir()
target = onnx_int8_dir(source, Path(sys.argv[1]), "all-MiniLM-L6-v2")
print(ensure_onnx_int8_model(source, target))
"""

SENTENCES = [
    "Every full-time employee is entitled to twenty-seven days of paid annual leave per year.",
    "The quarterly report shows revenue grew by twelve percent in the European market.",
    "Reset your password from the sign-in page if you forget it.",
    "Todo funcionário em tempo integral tem direito a vinte e sete dias de férias remuneradas.",
    "O relatório trimestral mostra que a receita cresceu doze por cento no mercado europeu.",
    "Para redefinir a senha, use a página de acesso ao sistema.",
]


@dataclass(frozen=True)
class Export:
    cache_dir: Path
    printed: list[str]
    pids: list[int]


@pytest.fixture(scope="session")
def onnx_export(tmp_path_factory: pytest.TempPathFactory) -> Export:
    """The int8 model exported once for the session, by two processes started together."""
    cache_dir = tmp_path_factory.mktemp("models")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", EXPORT_SCRIPT, str(cache_dir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=600) for racer in racers]
    for racer, (_, stderr) in zip(racers, outputs, strict=True):
        assert racer.returncode == 0, stderr[-2000:]
    printed = [stdout.strip().splitlines()[-1] for stdout, _ in outputs]
    return Export(cache_dir, printed, [racer.pid for racer in racers])


@pytest.fixture(scope="session")
def onnx_embedder(onnx_export: Export) -> Embedder:
    """all-MiniLM-L6-v2 run as ONNX int8 from the session's export."""
    return load_embedder(
        EmbeddingConfig(
            model=MINILM, backend="onnx-int8", cache_dir=onnx_export.cache_dir, threads=2
        )
    )


def test_racing_exports_leave_one_complete_model(onnx_export: Export) -> None:
    entries = sorted(p.name for p in onnx_export.cache_dir.iterdir() if p.is_dir())
    target = onnx_export.cache_dir / entries[0]
    manifest = json.loads((target / MANIFEST_FILE).read_text())

    assert len(entries) == 1  # no scratch folder left behind
    assert onnx_export.printed == [str(target), str(target)]
    assert manifest["exported_by_pid"] in onnx_export.pids
    assert (target / MODEL_FILE).stat().st_size > 10_000_000


def test_int8_model_loads_from_the_cache_and_reports_its_backend(
    onnx_export: Export, onnx_embedder: Embedder
) -> None:
    target = next(p for p in onnx_export.cache_dir.iterdir() if p.is_dir())
    exported_at = (target / MODEL_FILE).stat().st_mtime_ns

    assert onnx_embedder.dimension == 384
    assert embedding_identity(onnx_embedder) == "all-MiniLM-L6-v2/onnx-int8"
    assert (target / MODEL_FILE).stat().st_mtime_ns == exported_at  # reused, not re-exported


def test_int8_vectors_agree_with_fp32_in_english_and_portuguese(
    onnx_embedder: Embedder, minilm_embedder: Embedder
) -> None:
    embedder = minilm_embedder
    int8 = np.asarray(onnx_embedder.embed_documents(SENTENCES))
    fp32 = np.asarray(embedder.embed_documents(SENTENCES))
    query = np.asarray(onnx_embedder.embed_query(SENTENCES[3]))

    cosines = (int8 * fp32).sum(axis=1)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)
    assert cosines.min() >= 0.98, cosines.round(4).tolist()
    assert float(query @ fp32[3]) >= 0.98
    assert embedding_identity(embedder) == "all-MiniLM-L6-v2/torch"


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_search_through_the_pipeline_with_the_int8_backend(
    kind: str, tmp_path: Path, onnx_embedder: Embedder, sparse_encoder: SparseEncoder
) -> None:
    store = open_store(
        StoreConfig(kind=kind, path=tmp_path / kind),  # type: ignore[arg-type]
        dimension=onnx_embedder.dimension,
        embedding=embedding_identity(onnx_embedder),
    )
    indexer = Indexer(store=store, embedder=onnx_embedder, sparse=sparse_encoder)
    indexer.index_file(handbook(tmp_path / "h.pdf"), meta=meta())
    searcher = Searcher(store=store, embedder=onnx_embedder, sparse=sparse_encoder)

    hits = searcher.search("How much paid annual leave do employees get?", allowed_group_ids=[HR])
    paraphrase = searcher.search("time off work for vacation", allowed_group_ids=[HR], limit=1)
    store.close()

    assert (hits[0].document_id, hits[0].page) == (41, 2)
    assert LEAVE in hits[0].text
    assert paraphrase[0].page == 2


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_an_index_refuses_a_process_embedding_with_another_backend(
    kind: str,
    tmp_path: Path,
    minilm_embedder: Embedder,
    onnx_embedder: Embedder,
    sparse_encoder: SparseEncoder,
) -> None:
    embedder = minilm_embedder
    config = StoreConfig(kind=kind, path=tmp_path / kind)  # type: ignore[arg-type]
    torch_id, int8_id = embedding_identity(embedder), embedding_identity(onnx_embedder)
    store = open_store(config, dimension=embedder.dimension, embedding=torch_id)
    Indexer(store=store, embedder=embedder, sparse=sparse_encoder).index_file(
        handbook(tmp_path / "h.pdf"), meta=meta()
    )
    store.close()

    with pytest.raises(IndexConfigurationError) as caught:
        open_store(config, dimension=onnx_embedder.dimension, embedding=int8_id)
    same = open_store(config, dimension=embedder.dimension, embedding=torch_id)
    count = same.count()
    same.close()

    assert caught.value.code == "index_configuration"
    assert "all-MiniLM-L6-v2/torch" in caught.value.message
    assert "all-MiniLM-L6-v2/onnx-int8" in caught.value.message
    assert count == 3


def test_an_index_from_before_backends_were_recorded_counts_as_torch(
    tmp_path: Path,
    minilm_embedder: Embedder,
    onnx_embedder: Embedder,
    sparse_encoder: SparseEncoder,
) -> None:
    embedder = minilm_embedder
    config = StoreConfig(kind="edge", path=tmp_path / "edge")
    unrecorded = open_store(config, dimension=embedder.dimension)
    Indexer(store=unrecorded, embedder=embedder, sparse=sparse_encoder).index_file(
        handbook(tmp_path / "h.pdf"), meta=meta()
    )
    unrecorded.close()

    int8_id = embedding_identity(onnx_embedder)
    with pytest.raises(IndexConfigurationError):
        open_store(config, dimension=embedder.dimension, embedding=int8_id)
    torch_store = open_store(
        config, dimension=embedder.dimension, embedding=embedding_identity(embedder)
    )
    count = torch_store.count()
    torch_store.close()

    assert count == 3


def test_a_model_with_a_layer_the_export_lacks_runs_on_torch(second_model_dir, tmp_path) -> None:
    # The second test model ends in a Dense layer (384 -> 128): ONNX would drop it.
    config = EmbeddingConfig(
        model_dir=second_model_dir, backend="onnx-int8", cache_dir=tmp_path, threads=1
    )

    embedder = load_embedder(config)

    assert runnable_backend(second_model_dir, "onnx-int8") == "torch"
    assert runnable_backend(None, "onnx-int8") == "onnx-int8"
    assert embedding_identity(embedder).endswith("/torch") and embedder.dimension == 128
    assert not list(tmp_path.iterdir())  # nothing exported
