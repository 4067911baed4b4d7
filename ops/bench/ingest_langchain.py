"""The plain LangChain ingestion pipeline, as its documentation builds it, on the same files.

Loader: Enclave's own parsers (``parse_file``), one LangChain ``Document`` per
section (a PDF page, a DOCX/Markdown/HTML heading section), because LangChain's
loaders live in ``langchain-community`` with their own parser dependencies; so
both pipelines see the same text. Then ``RecursiveCharacterTextSplitter`` sized
in the same model's tokens (200/30), ``HuggingFaceEmbeddings`` on the packaged
model directory (no download) and ``QdrantVectorStore.from_documents`` into
qdrant-client's in-memory mode. Needs the ``bench`` extra.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval import RetrievalError, parse_file

__all__ = ["LangChainRun", "run_langchain"]


@dataclass
class LangChainRun:
    """What the LangChain pass measured; ``texts`` are its chunks, for the raw-encode ratio."""

    seconds: float
    documents: int
    texts: list[str]
    stored_points: int
    skipped: list[tuple[Path, str]]


def _embeddings(model_dir: Path, batch: int) -> Any:
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(model_dir),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch},
    )


def _load(paths: Sequence[Path]) -> tuple[list[Any], int, list[tuple[Path, str]]]:
    from langchain_core.documents import Document

    loaded: list[Any] = []
    skipped: list[tuple[Path, str]] = []
    documents = 0
    for path in paths:
        try:
            parsed = parse_file(path)
            sections = [
                Document(
                    page_content=section.text,
                    metadata={
                        "source": str(path),
                        "page": section.page,
                        "heading": section.heading,
                    },
                )
                for section in parsed.sections
            ]
        except RetrievalError as exc:
            skipped.append((path, f"{type(exc).__name__}: {exc}"))
            continue
        loaded += sections
        documents += 1
    return loaded, documents, skipped


def run_langchain(
    paths: Sequence[Path],
    *,
    model_dir: Path,
    tokenizer: Any,
    chunk_tokens: int,
    overlap_tokens: int,
    batch: int,
) -> LangChainRun:
    """Load, split, embed and store ``paths``; the model is loaded and warmed before timing."""
    from langchain_qdrant import QdrantVectorStore
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = _embeddings(model_dir, batch)
    embeddings.embed_documents(["warm-up"] * batch)
    splitter = RecursiveCharacterTextSplitter.from_huggingface_tokenizer(
        tokenizer, chunk_size=chunk_tokens, chunk_overlap=overlap_tokens
    )
    started = time.perf_counter()
    loaded, documents, skipped = _load(paths)
    chunks = splitter.split_documents(loaded)
    store = QdrantVectorStore.from_documents(
        chunks, embeddings, location=":memory:", collection_name="bench"
    )
    seconds = time.perf_counter() - started
    stored = store.client.count("bench").count
    return LangChainRun(seconds, documents, [c.page_content for c in chunks], stored, skipped)
