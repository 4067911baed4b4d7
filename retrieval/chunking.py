"""Split sections into token-bounded chunks that never cross a page or heading boundary."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from langchain_text_splitters import RecursiveCharacterTextSplitter

from retrieval.config import ChunkingConfig
from retrieval.models import Chunk, Section

__all__ = ["Chunker", "index_text"]

logger = logging.getLogger(__name__)


class Chunker:
    """Token-aware recursive splitter sized in the embedding model's tokenizer tokens."""

    def __init__(self, config: ChunkingConfig, tokenizer: Any) -> None:
        if config.chunk_tokens <= 0:
            raise ValueError("chunk_tokens must be positive")
        if not 0 <= config.overlap_tokens < config.chunk_tokens:
            raise ValueError("overlap_tokens must be >= 0 and smaller than chunk_tokens")
        self._config = config
        self._tokenizer = tokenizer
        self._splitter = RecursiveCharacterTextSplitter.from_huggingface_tokenizer(
            tokenizer,
            chunk_size=config.chunk_tokens,
            chunk_overlap=config.overlap_tokens,
            strip_whitespace=True,
        )

    def count_tokens(self, text: str) -> int:
        """Return the number of word-piece tokens in ``text`` (special tokens excluded)."""
        return len(self._tokenizer.tokenize(text))

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
