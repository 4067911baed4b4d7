"""Word handling shared by the support check, the passage marks and the extractive answers."""

from __future__ import annotations

from inference.lexical import containment_scores, stem, terms


def test_terms_fold_case_and_accents_alike_for_plain_and_accented_text() -> None:
    assert terms("Férias FÉRIAS ferias") == [stem("ferias")] * 3
    assert terms("Annual LEAVE, annual leave") == [stem("annual"), stem("leave")] * 2
    assert terms("ﬁnal São") == terms("final sao")


def test_stemming_is_the_same_on_every_call() -> None:
    first = [stem(word) for word in ("approvals", "approval", "reimbursements", "business")]

    assert [stem(word) for word in ("approvals", "approval", "reimbursements", "business")] == first
    assert first[0] == first[1] and first[3] == "business"[:7]


def test_containment_is_the_share_of_the_sentences_words_in_each_text() -> None:
    scores = containment_scores(
        "Employees get twenty-seven days of leave",
        ["Every employee is entitled to twenty-seven days of paid annual leave.", "Parking."],
    )

    assert scores[0] == 1.0 and scores[1] == 0.0
