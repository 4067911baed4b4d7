"""Chunking in embedding-model tokens, never across a page or heading boundary."""

from __future__ import annotations

from typing import Any

import pytest

from retrieval import Chunk, Chunker, ChunkingConfig, Section
from retrieval.chunking import COUNT_CACHE_MAX_CHARS, token_counter

SENTENCE = "Employees accrue paid annual leave monthly, prorated for part-time contracts. "


def test_short_sections_become_one_chunk_each_with_page_and_heading(tokenizer: Any) -> None:
    chunker = Chunker(ChunkingConfig(), tokenizer)
    sections = [
        Section(text="Leave is 27 days.", page=1, heading="Policies > Leave"),
        Section(text="   \n  ", page=1, heading="Policies > Leave"),
        Section(text="Badges must be worn.", page=2, heading="Security"),
    ]

    assert list(chunker.chunk(sections)) == [
        Chunk(index=0, text="Leave is 27 days.", page=1, heading="Policies > Leave"),
        Chunk(index=1, text="Badges must be worn.", page=2, heading="Security"),
    ]


def test_long_text_respects_the_token_limit_and_keeps_every_word(tokenizer: Any) -> None:
    config = ChunkingConfig(chunk_tokens=64, overlap_tokens=8)
    chunker = Chunker(config, tokenizer)
    text = "\n\n".join(SENTENCE * 3 for _ in range(10))

    chunks = list(chunker.chunk([Section(text=text, page=3, heading="H")]))

    assert len(chunks) > 5
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert max(len(tokenizer.tokenize(c.text)) for c in chunks) <= 64
    assert {(c.page, c.heading) for c in chunks} == {(3, "H")}
    assert set(" ".join(c.text for c in chunks).split()) == set(text.split())


def test_default_chunks_fit_the_models_256_token_window(tokenizer: Any) -> None:
    chunker = Chunker(ChunkingConfig(), tokenizer)
    # One giant "paragraph" without line breaks, like text pulled out of a PDF.
    text = SENTENCE * 120

    chunks = list(chunker.chunk([Section(text=text, page=None, heading="")]))

    lengths = [len(tokenizer(c.text)["input_ids"]) for c in chunks]  # with [CLS]/[SEP]
    assert max(lengths) <= 202
    assert min(lengths) > 20


def test_unbreakable_token_runs_are_still_cut(tokenizer: Any) -> None:
    chunker = Chunker(ChunkingConfig(chunk_tokens=32, overlap_tokens=0), tokenizer)
    text = "x9q" * 400  # no whitespace at all

    chunks = list(chunker.chunk([Section(text=text, page=1, heading="")]))

    assert max(len(tokenizer.tokenize(c.text)) for c in chunks) <= 32
    assert "".join(c.text for c in chunks) == text


def test_chunks_never_span_two_pages(tokenizer: Any) -> None:
    chunker = Chunker(ChunkingConfig(chunk_tokens=200, overlap_tokens=30), tokenizer)
    sections = [
        Section(text="Page one ends mid thought and", page=1, heading=""),
        Section(text="page two continues it.", page=2, heading=""),
    ]

    chunks = list(chunker.chunk(sections))

    assert [(c.text, c.page) for c in chunks] == [
        ("Page one ends mid thought and", 1),
        ("page two continues it.", 2),
    ]


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (50, 50), (50, -1)])
def test_invalid_sizes_are_refused(tokenizer: Any, size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        Chunker(ChunkingConfig(chunk_tokens=size, overlap_tokens=overlap), tokenizer)


def test_counts_stay_exact_when_texts_come_back(tokenizer: Any) -> None:
    # Short texts are counted once and remembered; long ones are counted every time.
    count = token_counter(tokenizer)
    short = "Leave is 27 days; carry-over needs approval."
    long = SENTENCE * 20
    assert len(long) > COUNT_CACHE_MAX_CHARS

    first = [count(short), count(long), count(short + " Again."), count(long)]
    again = [count(short), count(long), count(short + " Again."), count(long)]

    expected = [len(tokenizer.tokenize(text)) for text in (short, long, short + " Again.", long)]
    assert first == again == expected
