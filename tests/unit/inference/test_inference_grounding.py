"""Follow-up rewriting without a model, sentence support, fallbacks and decoding speed."""

from __future__ import annotations

from collections.abc import Generator, Sequence

import pytest

from inference import (
    ChatTurn,
    ModelUnavailableError,
    SentenceSupport,
    SourcePassage,
    StreamStats,
    answer_stream,
    check_support,
    looks_like_follow_up,
    rewrite_heuristic,
    rewrite_question,
)

HISTORY = [
    ChatTurn("user", "What was the travel budget in 2022?"),
    ChatTurn("assistant", "It was 40,000 EUR [1]."),
]


@pytest.mark.parametrize(
    ("question", "query"),
    [
        ("and in 2023?", "What was the travel budget in 2023?"),
        ("E em 2023?", "What was the travel budget in 2023?"),
        (
            "what about the marketing team?",
            "What was the travel budget in 2022 the marketing team?",
        ),
        ("and?", "What was the travel budget in 2022?"),
    ],
)
def test_heuristic_rewrite_uses_the_previous_question(question: str, query: str) -> None:
    assert looks_like_follow_up(question, HISTORY)
    assert rewrite_heuristic(question, HISTORY) == query
    assert rewrite_question(question, HISTORY).method == "heuristic"


def test_standalone_questions_and_first_questions_are_left_alone() -> None:
    standalone = "How many days of paid annual leave do employees get?"

    assert rewrite_question(standalone, HISTORY).method == "none"
    assert rewrite_question("and in 2023?", []).query == "and in 2023?"


PASSAGES = [
    SourcePassage(1, "Badges are renewed every two years.", "Security", 1),
    SourcePassage(2, "The cafeteria opens at noon.", "Facilities", None),
]


def _word_overlap(sentence: str, candidates: Sequence[str]) -> list[float]:
    words = set(sentence.lower().strip(".").split())
    return [len(words & set(c.lower().strip(".").split())) / len(words) for c in candidates]


def test_each_cited_sentence_is_scored_against_its_passage() -> None:
    text = "Badges are renewed every two years. [1] Lunch is free. [2] Ask security."

    support = check_support(text, PASSAGES, _word_overlap, min_score=0.5)

    assert support == (
        SentenceSupport("Badges are renewed every two years.", (1,), 1.0, True),
        SentenceSupport("Lunch is free.", (2,), 0.0, False),
        SentenceSupport("Ask security.", (), None, False),
    )


class _Fake:
    backend = "openai"

    def __init__(self, name: str, pieces: list[str] | None) -> None:
        self.name, self.pieces = name, pieces

    def stream(self, **_: object) -> Generator[str, None, StreamStats]:
        if self.pieces is None:
            raise ModelUnavailableError("down")
        yield from self.pieces
        return StreamStats(self.name, 10, len(self.pieces))


def test_an_unavailable_model_falls_back_and_support_is_attached() -> None:
    down, up = _Fake("small", None), _Fake("large", ["Badges are renewed ", "every two years. [1]"])

    events = list(
        answer_stream(
            down, question="q", passages=PASSAGES, fallbacks=[up], similarity=_word_overlap
        )
    )

    answer = events[-1].answer
    assert (answer.model, answer.text, answer.tokens_out) == (
        "large",
        "Badges are renewed every two years. [1]",
        2,
    )
    assert [item.supported for item in answer.support] == [True]


def test_when_every_model_is_down_the_error_reaches_the_caller() -> None:
    with pytest.raises(ModelUnavailableError):
        list(
            answer_stream(
                _Fake("a", None), question="q", passages=PASSAGES, fallbacks=[_Fake("b", None)]
            )
        )
