"""The ONNX int8 CPU embedding backend: export once from the local model, run with onnxruntime.

The sentence-transformers model directory is exported to ONNX with torch (no hub
access), its MatMul weights are quantized dynamically to int8 per channel with
onnxruntime, and the result is cached under ``EmbeddingConfig.cache_dir``. Every
process of an installation (web, workers) shares that directory: the export runs
under a file lock into a scratch folder that is renamed into place, so a reader
never sees half a model and two processes never export at once.

sentence-transformers' own ONNX backend needs optimum-onnx, whose 0.1 release
requires transformers < 4.58 (we run 5.x); hence this small direct path. It
supports the Transformer -> Pooling (mean or CLS) -> Normalize model layout of
the MiniLM / BERT family.

onnxruntime's native library sends usage telemetry to Microsoft unless it was
imported with ``ORT_DISABLE_TELEMETRY=1`` (``retrieval.telemetry`` sets it when
this package is imported). Every use of onnxruntime here goes through
``_onnxruntime()``, which refuses to run sessions in a process where onnxruntime
was imported before that.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from retrieval.config import EmbeddingConfig
from retrieval.embedding import ArrayEmbedder, load_tokenizer
from retrieval.errors import EmbeddingModelError
from retrieval.telemetry import onnxruntime_is_quiet

__all__ = ["BACKEND", "OnnxInt8Embedder", "ensure_onnx_int8_model", "onnx_int8_dir"]

logger = logging.getLogger(__name__)

BACKEND = "onnx-int8"
MODEL_FILE = "model_int8.onnx"
MANIFEST_FILE = "enclave-export.json"
# Bump when the export recipe changes, so cached exports are redone.
RECIPE_VERSION = 1
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
_export_lock = threading.Lock()


# The sentence-transformers modules this export reproduces (by class name).
ONNX_MODULES = frozenset({"Transformer", "Pooling", "Normalize"})


def onnx_layout_problem(model_dir: Path) -> str | None:
    """Why the model cannot run on this backend (e.g. a Dense layer), or None if it can."""
    modules_file = model_dir / "modules.json"
    if not modules_file.is_file():
        return None
    try:
        modules = json.loads(modules_file.read_text())
    except (OSError, ValueError):
        return f"{modules_file} cannot be read"
    extra = [
        str(m.get("type", "?")).rsplit(".", 1)[-1]
        for m in modules
        if str(m.get("type", "?")).rsplit(".", 1)[-1] not in ONNX_MODULES
    ]
    if extra:
        return f"its {', '.join(extra)} layer(s) are not part of the ONNX export"
    return None


def onnx_int8_dir(model_dir: Path, cache_dir: Path, model_name: str) -> Path:
    """Where the int8 export of ``model_dir`` lives; the name changes when the model does."""
    digest = hashlib.sha256(f"recipe={RECIPE_VERSION}".encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(model_dir)}:{stat.st_size}".encode())
    return cache_dir / f"{model_name}-{BACKEND}-{digest.hexdigest()[:12]}"


def ensure_onnx_int8_model(model_dir: Path, target: Path) -> Path:
    """Return ``target`` holding the int8 model; export it first if missing (process-safe)."""
    if (target / MANIFEST_FILE).is_file():
        return target
    try:
        return _export_once(model_dir, target)
    except OSError as exc:  # cache directory missing rights or space
        raise EmbeddingModelError(
            f"The ONNX model could not be written to {target.parent}: {exc}"
        ) from exc


def _export_once(model_dir: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with _export_lock, _file_lock(target.with_name(target.name + ".lock")):
        if (target / MANIFEST_FILE).is_file():  # another process finished while we waited
            return target
        scratch = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
        try:
            _export(model_dir, scratch)
            if target.exists():  # a leftover without a manifest: an interrupted copy
                shutil.rmtree(target)
            scratch.chmod(0o755)  # mkdtemp makes it private; other service users read it
            os.rename(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _onnxruntime() -> Any:
    """The onnxruntime module with its telemetry off: import it only through here.

    EmbeddingModelError when onnxruntime was imported before ``retrieval`` (its
    telemetry is then on for the life of the process).
    """
    if not onnxruntime_is_quiet():
        raise EmbeddingModelError(
            "onnxruntime was imported before Enclave switched its telemetry off; import "
            "retrieval first, or set ORT_DISABLE_TELEMETRY=1 in the environment."
        )
    import onnxruntime as ort  # type: ignore[import-untyped]

    ort.disable_telemetry_events()  # the in-process events too (the variable stops the upload)
    return ort


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _export(model_dir: Path, out: Path) -> None:
    started = time.perf_counter()
    try:
        import torch

        _onnxruntime()  # quantize_dynamic creates sessions of its own
        from onnxruntime.quantization import (  # type: ignore[import-untyped]
            QuantType,
            quantize_dynamic,
        )
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        encoder: Any = model[0].auto_model
        transformer = _token_embeddings_module(encoder.eval())
        sample = model.tokenizer(["an example", "a longer example text"], padding=True)
        ids = torch.tensor(sample["input_ids"])
        args = (ids, torch.tensor(sample["attention_mask"]), torch.zeros_like(ids))
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, "last_hidden_state")}
        fp32 = out / "model_fp32.onnx"
        # The tracer warns about shape-dependent Python branches of the attention mask
        # code; the export is checked against fp32 by the tests instead.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                transformer,
                args,
                str(fp32),
                input_names=list(INPUT_NAMES),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        # Per-channel weights on MatMul only: mean cosine to fp32 0.994 on SciFact
        # abstracts, against 0.934 per tensor (the embeddings' Gather stays fp32).
        quantize_dynamic(
            str(fp32),
            str(out / MODEL_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        fp32.unlink()
    except Exception as exc:
        raise EmbeddingModelError(
            f"Exporting {model_dir} to ONNX int8 failed: {type(exc).__name__}: {exc}"
        ) from exc
    manifest = {
        "source": str(model_dir),
        "recipe": RECIPE_VERSION,
        "backend": BACKEND,
        "exported_by_pid": os.getpid(),
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    logger.info(
        "embedding model exported to onnx int8 dir=%s seconds=%.1f",
        out,
        time.perf_counter() - started,
    )


def _token_embeddings_module(encoder: Any) -> Any:
    """The Hugging Face encoder as a module whose only output is the token embeddings."""
    import torch

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            output = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    return TokenEmbeddings()


class OnnxInt8Embedder(ArrayEmbedder):
    """Embedder running the int8 export of a sentence-transformers model with onnxruntime."""

    backend = BACKEND

    def __init__(
        self,
        config: EmbeddingConfig,
        *,
        model_dir: Path,
        model_name: str,
        languages: Sequence[str] = ("en",),
    ) -> None:
        if config.device != "cpu":
            raise EmbeddingModelError(
                f"The onnx-int8 embedding backend runs on the CPU; use torch for {config.device}."
            )
        if config.cache_dir is None:
            raise EmbeddingModelError(
                "The onnx-int8 embedding backend needs EmbeddingConfig.cache_dir."
            )
        self._config = config
        self.batch_size = config.batch_size
        self.model_name = model_name
        self.languages: frozenset[str] = frozenset(languages)
        pooling = _read_json(model_dir / "1_Pooling" / "config.json")
        if pooling.get("pooling_mode_cls_token"):
            self._pooling = "cls"
        elif pooling.get("pooling_mode_mean_tokens", True):
            self._pooling = "mean"
        else:
            raise EmbeddingModelError(f"{model_dir}: only mean or CLS pooling can run on ONNX.")
        self._max_tokens = int(
            _read_json(model_dir / "sentence_bert_config.json").get("max_seq_length", 512)
        )
        exported = ensure_onnx_int8_model(
            model_dir, onnx_int8_dir(model_dir, config.cache_dir, model_name)
        )
        self.model_dir = exported
        self.tokenizer: Any = load_tokenizer(model_dir)
        # A fast tokenizer sets its truncation state per call and refuses concurrent
        # callers ("Already borrowed"); web threads and the worker share this one.
        self._tokenizer_lock = threading.Lock()
        self._session = _load_session(exported / MODEL_FILE, config.threads)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dimension: int = int(self._encode(["dimension probe"]).shape[1])

    def _encode(self, texts: list[str]) -> Any:
        import numpy as np

        # Longest first, like sentence-transformers: batches pad to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), 0), dtype=np.float32)
        try:
            for start in range(0, len(texts), self.batch_size):
                ids = order[start : start + self.batch_size]
                vectors = self._encode_batch([texts[i] for i in ids])
                if out.shape[1] == 0:
                    out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
                out[ids] = vectors
        except Exception as exc:
            raise EmbeddingModelError(
                f"The embedding model failed to encode text: {type(exc).__name__}."
            ) from exc
        return out

    def _encode_batch(self, texts: list[str]) -> Any:
        import numpy as np

        with self._tokenizer_lock:
            encoded = self.tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self._max_tokens,
                return_tensors="np",
            )
        mask = encoded["attention_mask"].astype(np.int64)
        feeds = {"input_ids": encoded["input_ids"].astype(np.int64), "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(mask)
        tokens = self._session.run(None, feeds)[0]
        if self._pooling == "cls":
            pooled = tokens[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _load_session(path: Path, threads: int | None) -> Any:
    started = time.perf_counter()
    ort = _onnxruntime()
    try:
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise EmbeddingModelError(
            f"The ONNX embedding model {path} could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    logger.info(
        "embedding model loaded dir=%s backend=%s seconds=%.2f",
        path.parent,
        BACKEND,
        time.perf_counter() - started,
    )
    return session
