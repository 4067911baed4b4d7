"""Result shaping: join neighbouring chunks, drop near-duplicates, cap chunks per document.

Runs on the ranked chunks the store returned (already permission-filtered), so
it only removes or joins what the user may read; it never fetches anything.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

from retrieval.models import Passage

__all__ = ["shape_passages"]

# Most chunks joined into one passage, so a merged passage stays citable.
MAX_MERGED_CHUNKS = 3
# Longest chunk overlap (characters) looked for when joining neighbours.
_MAX_OVERLAP_CHARS = 600
_WORD = re.compile(r"\w+", re.UNICODE)


def shape_passages(
    passages: Sequence[Passage],
    *,
    limit: int,
    merge_adjacent: bool = True,
    duplicate_similarity: float = 0.8,
    max_per_document: int = 3,
) -> list[Passage]:
    """Best-first passages: neighbours joined, near-duplicates dropped, per-document cap, limit."""
    shaped = _merge_neighbours(passages) if merge_adjacent else list(passages)
    kept: list[Passage] = []
    kept_words: list[frozenset[str]] = []
    per_document: dict[int, int] = {}
    for passage in shaped:
        if per_document.get(passage.document_id, 0) >= max_per_document:
            continue
        words = _shingles(passage.text)
        if any(_jaccard(words, other) >= duplicate_similarity for other in kept_words):
            continue
        kept.append(passage)
        kept_words.append(words)
        per_document[passage.document_id] = per_document.get(passage.document_id, 0) + 1
        if len(kept) >= limit:
            break
    return kept


def _merge_neighbours(passages: Sequence[Passage]) -> list[Passage]:
    """Join chunks i and i+1 of one document section; the group takes its best chunk's rank."""
    groups: list[list[Passage]] = []
    where: dict[tuple[int, int], int] = {}  # (document, chunk index) -> group position
    for passage in passages:
        key = (passage.document_id, passage.chunk_index)
        position = _neighbour_group(groups, where, passage)
        if position is None:
            where[key] = len(groups)
            groups.append([passage])
        else:
            where[key] = position
            groups[position].append(passage)
    return [_join(group) for group in groups]


def _neighbour_group(
    groups: list[list[Passage]], where: dict[tuple[int, int], int], passage: Passage
) -> int | None:
    for step in (-1, 1):
        position = where.get((passage.document_id, passage.chunk_index + step))
        if position is None:
            continue
        group = groups[position]
        same_section = group[0].page == passage.page and group[0].heading == passage.heading
        if same_section and len(group) < MAX_MERGED_CHUNKS:
            return position
    return None


def _join(group: list[Passage]) -> Passage:
    best = group[0]  # passages arrive best first
    if len(group) == 1:
        return best
    ordered = sorted(group, key=lambda p: p.chunk_index)
    text = ordered[0].text
    for passage in ordered[1:]:
        text = _append_without_overlap(text, passage.text)
    return dataclasses.replace(
        best,
        chunk_index=ordered[0].chunk_index,
        chunk_indices=tuple(p.chunk_index for p in ordered),
        text=text,
        dense_rank=_best_rank(p.dense_rank for p in group),
        sparse_rank=_best_rank(p.sparse_rank for p in group),
    )


def _append_without_overlap(first: str, second: str) -> str:
    """Concatenate two consecutive chunks, dropping the text the splitter repeated."""
    longest = min(len(first), len(second), _MAX_OVERLAP_CHARS)
    for size in range(longest, 0, -1):
        if first.endswith(second[:size]):
            return first + second[size:]
    return f"{first} {second}"


def _best_rank(ranks: Iterable[int | None]) -> int | None:
    present = [rank for rank in ranks if rank is not None]
    return min(present) if present else None


def _shingles(text: str) -> frozenset[str]:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return frozenset(words)
    return frozenset(" ".join(words[i : i + 3]) for i in range(len(words) - 2))


def _jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    if not first or not second:
        return 1.0 if first == second else 0.0
    return len(first & second) / len(first | second)
