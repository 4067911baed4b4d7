"""Result shaping: neighbours joined, near-duplicates dropped, per-document cap, reasons."""

from __future__ import annotations

from retrieval import Passage, shape_passages


def passage(
    document_id: int,
    chunk_index: int,
    text: str,
    *,
    score: float = 1.0,
    page: int | None = 1,
    heading: str = "Leave",
    dense_rank: int | None = None,
    sparse_rank: int | None = None,
) -> Passage:
    return Passage(
        document_id=document_id,
        collection_id=1,
        chunk_index=chunk_index,
        text=text,
        title="Handbook",
        page=page,
        heading=heading,
        score=score,
        dense_rank=dense_rank,
        sparse_rank=sparse_rank,
    )


def test_adjacent_chunks_of_one_section_are_joined_without_the_repeated_overlap() -> None:
    first = passage(1, 4, "Staff get 27 days of leave. Requests go", score=0.9, sparse_rank=1)
    second = passage(1, 5, "Requests go through the portal.", score=0.5, dense_rank=2)
    other = passage(2, 0, "Parking is in the basement.", score=0.7, dense_rank=1)

    shaped = shape_passages([first, other, second], limit=5)

    assert [p.document_id for p in shaped] == [1, 2]
    joined = shaped[0]
    assert joined.text == "Staff get 27 days of leave. Requests go through the portal."
    assert (joined.chunk_index, joined.chunk_indices) == (4, (4, 5))
    assert (joined.score, joined.dense_rank, joined.sparse_rank) == (0.9, 2, 1)


def test_chunks_on_different_pages_or_headings_stay_apart() -> None:
    shaped = shape_passages(
        [
            passage(1, 0, "Alpha beta gamma.", page=1),
            passage(1, 1, "Delta epsilon zeta.", page=2),
            passage(1, 2, "Eta theta iota.", page=2, heading="Other"),
        ],
        limit=5,
    )

    assert [p.chunk_indices for p in shaped] == [(), (), ()]
    assert [p.chunk_index for p in shaped] == [0, 1, 2]


def test_at_most_three_chunks_are_joined() -> None:
    chunks = [passage(1, i, f"Sentence number {i} here.") for i in range(5)]

    shaped = shape_passages(chunks, limit=5, max_per_document=5)

    assert [p.chunk_indices for p in shaped] == [(0, 1, 2), (3, 4)]


def test_near_duplicates_are_dropped_keeping_the_better_one() -> None:
    text = "Every employee is entitled to twenty seven days of paid annual leave each year"
    shaped = shape_passages(
        [
            passage(1, 0, text, score=0.9),
            passage(2, 7, text + ".", score=0.8),
            passage(3, 0, "Bicycles are parked in the basement next to the showers.", score=0.7),
        ],
        limit=5,
    )

    assert [p.document_id for p in shaped] == [1, 3]


def test_chunks_per_document_are_capped_and_limit_applies() -> None:
    many = [passage(1, i * 2, f"Distinct text {i} about topic {i}.") for i in range(5)]
    many.append(passage(2, 0, "Another document entirely."))

    shaped = shape_passages(many, limit=3, max_per_document=2)

    assert [(p.document_id, p.chunk_index) for p in shaped] == [(1, 0), (1, 2), (2, 0)]


def test_merging_can_be_turned_off() -> None:
    shaped = shape_passages(
        [passage(1, 0, "One two three."), passage(1, 1, "Four five six.")],
        limit=5,
        merge_adjacent=False,
    )

    assert len(shaped) == 2


def test_reason_names_the_arm_ranks() -> None:
    assert passage(1, 0, "x", dense_rank=3, sparse_rank=1).reason == "dense #3, BM25 #1"
    assert passage(1, 0, "x", sparse_rank=2).reason == "BM25 #2"
    assert passage(1, 0, "x").reason == "fused"
