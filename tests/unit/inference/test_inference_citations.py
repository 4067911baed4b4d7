"""Citation parsing and checking."""

from __future__ import annotations

import pytest

from inference import check_citations, parse_citations


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
