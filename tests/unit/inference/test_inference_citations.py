"""Citation parsing, checking and renumbering by first use."""

from __future__ import annotations

import pytest

from inference import (
    CitationRenumbering,
    check_citations,
    parse_citations,
    renumber_citations,
    source_order,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vacation is 25 days [1].", [1]),
        ("See [2][3] and again [2].", [2, 3]),
        ("Both apply [1, 2], also [ 4 ,3 ].", [1, 2, 4, 3]),
        ("No markers here, only a year [2024] and a list [a].", []),
        ("", []),
    ],
)
def test_parse_citations_returns_numbers_in_first_appearance_order(
    text: str, expected: list[int]
) -> None:
    assert parse_citations(text) == expected


def test_check_citations_removes_only_invalid_markers() -> None:
    text = "Vacation is 25 days [1]. Sick leave is paid [7]. Both [2, 9]. Also [3][2]."

    checked, valid, invalid = check_citations(text, passage_count=2)

    assert checked == "Vacation is 25 days [1]. Sick leave is paid. Both [2]. Also [2]."
    assert valid == (1, 2)
    assert invalid == (3, 7, 9)


def test_check_citations_treats_zero_as_invalid_and_keeps_valid_text_unchanged() -> None:
    assert check_citations("A [0] b [1]", 1) == ("A b [1]", (1,), (0,))
    assert check_citations("Plain answer.", 3) == ("Plain answer.", (), ())


@pytest.mark.parametrize(
    ("text", "renumbered", "order", "invalid"),
    [
        ("A [2] b [6][4]. C [2, 6].", "A [1] b [2][3]. C [1, 2].", [2, 6, 4], []),
        ("Leave [3]. Sick [9]. Both [3, 1].", "Leave [1]. Sick. Both [1, 2].", [3, 1], [9]),
        ("a [9][2] c", "a [1] c", [2], [9]),
        ("Building blocks [4]", "Building blocks [1]", [4], []),
        ("year [2024] and [3", "year [2024] and [3", [], []),
    ],
)
def test_renumbering_follows_first_use_and_drops_invalid_markers(
    text: str, renumbered: str, order: list[int], invalid: list[int]
) -> None:
    assert renumber_citations(text, 6) == (renumbered, order, invalid)


def test_a_stream_renumbers_markers_split_across_deltas_exactly_as_the_whole_text() -> None:
    text = "Leave is 25 days [3]. Unused days [ 3, 5 ] carry over [9][5]."
    renumbering = CitationRenumbering(6)

    streamed = [renumbering.feed(char) for char in text] + [renumbering.finish()]

    assert "".join(streamed) == renumber_citations(text, 6)[0]
    assert "".join(streamed) == "Leave is 25 days [1]. Unused days [1, 2] carry over [2]."
    # Nothing but an open marker (and the spaces before it) was ever held back.
    assert streamed[text.index("Leave") + 4] == "e"


def test_sources_cited_first_then_the_rest_by_rank() -> None:
    assert source_order([3, 1], 4) == (3, 1, 2, 4)
    assert source_order([], 2) == (1, 2)
