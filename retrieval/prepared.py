"""Chunking and the embedder's tokenizing, done in the parser process instead of the worker.

The worker's Python work (the splitter counting tokens, USE's pure-Python
SentencePiece) holds the GIL that its encoding thread and, in the embedded
setup, the web threads need. The parser child of ``retrieval.parsing.sandbox``
already reads the document in another process; given a plan it also chunks the
sections and tokenizes each chunk's embedded text, and streams ready chunks
back, so the worker only encodes and writes.

A plan is plain JSON: the chunking settings, a file holding the counting
tokenizer's exact state (``tokenizers`` JSON), the embedder's tokenizing kind
(``PREPARERS``) and the document's title when the caller already knows it. The
child makes the same ``Chunker`` and the same ids as the worker would: the
chunks and vectors are identical (tests/unit/retrieval/test_retrieval_prepared.py).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from retrieval.chunking import Chunker, index_text
from retrieval.config import ChunkingConfig
from retrieval.models import Chunk, Section
from retrieval.parsing.titles import document_title

__all__ = [
    "PREPARERS",
    "ChunkedDocument",
    "ChunkedHere",
    "PreparedChunk",
    "chunk_plan",
    "load_plan",
    "load_preparers",
    "prepared_chunks",
]

Prepare = Callable[[list[str]], list[Any]]
# Tokenizing kinds an embedder may name (``portable_prepare``): kind -> the module
# and the function that returns its ``prepare`` without loading the model.
PREPARERS: dict[str, tuple[str, str]] = {
    "usem3-sentencepiece": ("retrieval.embedding_usem3", "sentencepiece_prepare"),
}


@dataclass(frozen=True)
class PreparedChunk:
    """A chunk and, when the parser tokenized it, the embedder's ids of its embedded text."""

    chunk: Chunk
    ids: list[Any] | None = None


@dataclass(frozen=True)
class ChunkedDocument:
    """A document read and chunked by the parser process: its title and its chunks (lazy)."""

    title: str | None
    chunks: Iterable[PreparedChunk]


class ChunkedHere:
    """The chunks of a lazy section stream, cut in this process; closing it closes that."""

    def __init__(self, chunker: Chunker, sections: Iterable[Section]) -> None:
        self._sections = sections
        self._chunks = (PreparedChunk(chunk) for chunk in chunker.chunk(sections))

    def __iter__(self) -> Iterator[PreparedChunk]:
        return self._chunks

    def close(self) -> None:
        """Stop the section stream (and the parser process that reads it)."""
        self._chunks.close()
        close = getattr(self._sections, "close", None)
        if callable(close):
            close()


def chunk_plan(
    chunker: Chunker,
    *,
    context_prefix: bool,
    prepare: str | None,
    title: str,
) -> dict[str, Any] | None:
    """The plan that makes the parser chunk like ``chunker``; None if its tokenizer cannot go."""
    tokenizer = tokenizer_file(chunker.tokenizer)
    if tokenizer is None:
        return None
    return {
        "config": asdict(chunker.config),
        "tokenizer": str(tokenizer),
        "context_prefix": context_prefix,
        "prepare": prepare if prepare in PREPARERS else None,
        "title": title,
    }


def prepared_chunks(
    plan: dict[str, Any],
    sections: Iterable[Section],
    *,
    parsed_title: str | None,
    filename: str | None,
) -> Iterator[PreparedChunk]:
    """The chunks of ``sections`` under ``plan``, each with its ids when the plan says so.

    The embedded text's title is the one the indexer settles on (``document_title``).
    """
    chunker, prepare = load_plan(plan)
    title = document_title(plan["title"], parsed_title, filename)
    for chunk in chunker.chunk(sections):
        ids = None
        if prepare is not None:
            text = index_text(chunk, title) if plan["context_prefix"] else chunk.text
            ids = prepare([text])[0]
        yield PreparedChunk(chunk, ids)


def load_plan(plan: dict[str, Any]) -> tuple[Chunker, Prepare | None]:
    """The plan's chunker and tokenizing function, loaded once per process (the parser
    server loads them before it forks, so every child starts with them)."""
    key = (plan["tokenizer"], tuple(sorted(plan["config"].items())), plan["prepare"])
    with _loaded_lock:
        loaded = _loaded.get(key)
        if loaded is None:
            from tokenizers import Tokenizer

            backend = Tokenizer.from_file(plan["tokenizer"])
            chunker = Chunker(ChunkingConfig(**plan["config"]), _Tokenizer(backend))
            prepare = None if plan["prepare"] is None else _preparer(plan["prepare"])
            loaded = _loaded[key] = (chunker, prepare)
    return loaded


def load_preparers() -> None:
    """Load every installed tokenizing kind now (the parser server, as it starts).

    USE's SentencePiece takes one or two seconds to load: at the server's start
    that overlaps the worker's, instead of delaying the first document.
    """
    for kind in PREPARERS:
        try:
            _preparer(kind)
        except Exception:  # not installed: a plan naming it fails its document, with why
            continue


def _preparer(kind: str) -> Prepare:
    with _preparers_lock:
        prepare = _preparers.get(kind)
        if prepare is None:
            module, name = PREPARERS[kind]
            prepare = _preparers[kind] = getattr(importlib.import_module(module), name)()
        return prepare


_loaded: dict[tuple[Any, ...], tuple[Chunker, Prepare | None]] = {}
_loaded_lock = threading.Lock()
_preparers: dict[str, Prepare] = {}
_preparers_lock = threading.Lock()


class _Tokenizer:
    """What ``Chunker`` needs of a tokenizer: the Rust core it copies."""

    def __init__(self, backend: Any) -> None:
        self.backend_tokenizer = backend


def tokenizer_file(tokenizer: Any) -> Path | None:
    """A file with ``tokenizer``'s exact Rust core, written once per tokenizer; None if slow."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None  # a pure-Python tokenizer: the worker chunks
    with _files_lock:
        path = _files.get(tokenizer)
        if path is None:
            text = backend.to_str()
            name = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
            path = _directory() / f"{name}.json"
            if not path.exists():
                partial = path.with_suffix(".part")
                partial.write_text(text, encoding="utf-8")
                partial.replace(path)
            _files[tokenizer] = path
        return path


_files: weakref.WeakKeyDictionary[Any, Path] = weakref.WeakKeyDictionary()
_files_lock = threading.Lock()
_own_directory: list[Path] = []


def _directory() -> Path:
    # One private directory per process, removed at exit.
    if not _own_directory:
        made = Path(tempfile.mkdtemp(prefix="enclave-tokenizers-"))
        atexit.register(shutil.rmtree, made, ignore_errors=True)
        _own_directory.append(made)
    return _own_directory[0]
