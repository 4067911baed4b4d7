"""Follow-up rewriting without a model, sentence attribution, fallbacks and the last resort."""

from __future__ import annotations

from collections.abc import Generator, Sequence

import pytest

from inference import (
    ChatTurn,
    ExtractiveChatModel,
    ModelUnavailableError,
    SentenceSupport,
    SourcePassage,
    StreamStats,
    answer_stream,
    attribute_sentences,
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


def test_every_sentence_is_cited_attributed_or_flagged() -> None:
    text = (
        "Badges are renewed every two years. [1] The cafeteria opens at noon. "
        "Lunch is free for every visitor. Badges are renewed every two years [2]. Ok."
    )

    attribution = attribute_sentences(text, PASSAGES, _word_overlap, min_score=0.5)

    # The uncited sentence gets its passage; the wrong [2] is replaced by [1].
    assert attribution.text == (
        "Badges are renewed every two years. [1] The cafeteria opens at noon. [2] "
        "Lunch is free for every visitor. Badges are renewed every two years. [1] Ok."
    )
    assert attribution.sentences == (
        SentenceSupport("Badges are renewed every two years.", (1,), 1.0, "cited"),
        SentenceSupport("The cafeteria opens at noon.", (2,), 1.0, "attributed"),
        # Best: passage 1 shares "every" (1 of 4 terms, 1 of 6 words): (1/4 + 1/6) / 2.
        SentenceSupport("Lunch is free for every visitor.", (), (1 / 4 + 1 / 6) / 2, "unsupported"),
        SentenceSupport("Badges are renewed every two years.", (1,), 1.0, "attributed"),
    )
    assert [attribution.count(s) for s in ("cited", "attributed", "unsupported")] == [1, 2, 1]


def test_an_answer_without_citations_is_attributed_and_renumbered_by_first_use() -> None:
    model = _Fake("small", ["The cafeteria opens at noon. ", "Badges are renewed every two years."])

    answer = list(answer_stream(model, question="q", passages=PASSAGES))[-1].answer

    assert answer.text == (
        "The cafeteria opens at noon. [1] Badges are renewed every two years. [2]"
    )
    assert (answer.citations, answer.source_order, answer.grounded) == ((1, 2), (2, 1), True)
    assert [(s.citations, s.status) for s in answer.support] == [
        ((1,), "attributed"),
        ((2,), "attributed"),
    ]


class _Fake:
    backend = "openai"
    generative = True
    wants_standalone_query = False

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
    assert [(item.status, item.supported) for item in answer.support] == [("cited", True)]


def test_when_every_model_is_down_the_error_reaches_the_caller() -> None:
    with pytest.raises(ModelUnavailableError):
        list(
            answer_stream(
                _Fake("a", None), question="q", passages=PASSAGES, fallbacks=[_Fake("b", None)]
            )
        )


def test_when_every_model_is_down_the_passages_answer_with_a_notice() -> None:
    asked: list[str] = []

    class Recording(ExtractiveChatModel):
        def compose(
            self,
            question: str,
            passages: Sequence[SourcePassage],
            history: Sequence[ChatTurn] = (),
        ) -> str:
            asked.append(question)
            return super().compose(question, passages, history)

    events = list(
        answer_stream(
            _Fake("a", None),
            question="and how often are they renewed?",
            standalone_query="How often are badges renewed?",
            passages=PASSAGES,
            fallbacks=[_Fake("b", None)],
            last_resort=Recording(sentences=1),
        )
    )

    answer = events[-1].answer
    assert (answer.text, answer.notice, answer.backend) == (
        "Badges are renewed every two years. [1]",
        "model_unavailable",
        "extractive",
    )
    # Quoting reads the user's own words (a conversation's context weighs in through
    # the history, tests/unit/inference/test_inference_extractive.py).
    assert asked == ["and how often are they renewed?"]
