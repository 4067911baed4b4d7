"""Split sections into token-bounded chunks that never cross a page or heading boundary."""

from __future__ import annotations

import copy
import functools
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from langchain_text_splitters import RecursiveCharacterTextSplitter

from retrieval.config import ChunkingConfig
from retrieval.models import Chunk, Section

__all__ = ["Chunker", "index_text", "token_counter"]

logger = logging.getLogger(__name__)

# The splitter counts every piece twice (when splitting, then when merging) and the
# same words, lines and separators again and again: a small cache of recent counts
# halves the tokenizer calls of chunking (they hold the GIL the embedder needs too).
COUNT_CACHE_ENTRIES = 4096
COUNT_CACHE_MAX_CHARS = 1024  # longer texts are counted every time (bounds the cache)


class Chunker:
    """Token-aware recursive splitter sized in the embedding model's tokenizer tokens.

    It counts with its own copy of the tokenizer, never the one it is given: that
    one belongs to the embedder, and a Hugging Face tokenizer call resets the
    shared padding and truncation state, so counting from a parsing thread while
    the embedder encodes made its batches ragged (and the process abort).
    """

    def __init__(self, config: ChunkingConfig, tokenizer: Any) -> None:
        if config.chunk_tokens <= 0:
            raise ValueError("chunk_tokens must be positive")
        if not 0 <= config.overlap_tokens < config.chunk_tokens:
            raise ValueError("overlap_tokens must be >= 0 and smaller than chunk_tokens")
        self._config = config
        # The tokenizer sizes are counted in (a parser process can count with its copy).
        self.tokenizer = tokenizer
        self.count_tokens: Callable[[str], int] = token_counter(tokenizer)
        self._splitter = RecursiveCharacterTextSplitter(
            length_function=self.count_tokens,
            chunk_size=config.chunk_tokens,
            chunk_overlap=config.overlap_tokens,
            strip_whitespace=True,
        )

    @property
    def config(self) -> ChunkingConfig:
        """The sizes this chunker cuts to."""
        return self._config

    def chunk(self, sections: Iterable[Section]) -> Iterator[Chunk]:
        """Yield chunks numbered 0..n-1, each inside one section (so one page and heading)."""
        index = 0
        for section in sections:
            for text in self._split(section.text):
                yield Chunk(index=index, text=text, page=section.page, heading=section.heading)
                index += 1
        logger.debug("chunked chunks=%s", index)

    def _split(self, text: str) -> Iterator[str]:
        for piece in self._splitter.split_text(text):
            if not piece.strip():
                continue
            yield from self._enforce_limit(piece)

    def _enforce_limit(self, text: str) -> Iterator[str]:
        # The splitter adds up token counts of pieces; re-tokenizing the joined text
        # can differ slightly, and the model silently truncates what is over.
        if self.count_tokens(text) <= self._config.chunk_tokens:
            yield text
            return
        words = text.split()
        if len(words) <= 1:
            middle = len(text) // 2
            halves = [text[:middle], text[middle:]]
        else:
            middle = len(words) // 2
            halves = [" ".join(words[:middle]), " ".join(words[middle:])]
        for half in halves:
            if half.strip():
                yield from self._enforce_limit(half)


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    """A thread-safe word-piece counter (special tokens excluded) on a private tokenizer copy.

    A fast tokenizer's Rust core is copied with truncation and padding off, once
    per tokenizer (copying takes tens of milliseconds; indexers are made per
    document): ``encode`` then only reads it, so threads share the counter. The
    count is ``len(tokenizer.tokenize(text))``. A slow (pure Python) tokenizer is
    deep-copied and called under a lock.
    """
    with _counters_lock:
        counter = _counters.get(tokenizer)
        if counter is None:
            counter = _new_counter(tokenizer)
            _counters[tokenizer] = counter
        return counter


_counters: weakref.WeakKeyDictionary[Any, Callable[[str], int]] = weakref.WeakKeyDictionary()
_counters_lock = threading.Lock()


def _new_counter(tokenizer: Any) -> Callable[[str], int]:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        from tokenizers import Tokenizer

        own = Tokenizer.from_str(backend.to_str())
        own.no_truncation()
        own.no_padding()
        return _recent(lambda text: len(own.encode(text, add_special_tokens=False).ids))
    private = copy.deepcopy(tokenizer)
    lock = threading.Lock()

    def count(text: str) -> int:
        with lock:
            return len(private.tokenize(text))

    return _recent(count)


def _recent(count: Callable[[str], int]) -> Callable[[str], int]:
    """``count`` with the counts of recent short texts remembered (thread-safe)."""
    cached = functools.lru_cache(maxsize=COUNT_CACHE_ENTRIES)(count)

    def counter(text: str) -> int:
        return cached(text) if len(text) <= COUNT_CACHE_MAX_CHARS else count(text)

    return counter


def index_text(chunk: Chunk, title: str) -> str:
    """The text embedded and BM25-encoded for a chunk: title and heading path, then the chunk.

    Chunks are sized at most ``chunk_tokens`` (200) of the model's 256, so a short
    title and heading fit; a long one can push the chunk's last words past the
    model's limit (BM25 still sees them).
    """
    context = [part for part in (title.strip(), chunk.heading.strip()) if part]
    if len(context) == 2 and context[0] == context[1]:
        context.pop()
    return "\n".join([*context, chunk.text]) if context else chunk.text
