"""The extractive backend (no language model): what it quotes and how it cites."""

from __future__ import annotations

from inference import AnswerDone, ChatTurn, ExtractiveChatModel, SourcePassage, answer_stream
from inference.lexical import is_statement, statements

EN_PASSAGES = [
    SourcePassage(1, "The office opens at 9am. Visitors sign in at reception.", "Handbook", 2),
    SourcePassage(
        2,
        "Staff receive 25 days of paid vacation per year. Requests go through the HR portal.",
        "HR policy",
        None,
    ),
]
PT_PASSAGES = [
    SourcePassage(1, "O escritório abre às 9h. Visitantes registam-se na receção.", "Manual", 1),
    SourcePassage(
        2,
        "Os funcionários têm direito a 25 dias de férias por ano. Os pedidos são feitos no portal.",
        "Política de RH",
        4,
    ),
]
# What a PDF page gives: a title line, a heading, a label, then prose.
ARCHITECTURE = SourcePassage(
    1,
    "System overview\nBuilding blocks\nThe platform has three services.\n\n"
    "Figure 2\n\nThe gateway routes every request to the search service. "
    "The search service answers in under one second.",
    "System overview",
    3,
    heading="Building blocks",
)
DEPLOYMENT = SourcePassage(
    2,
    "Building blocks\n\nEach service runs in its own container and scales on its own. "
    "Containers restart automatically after a failure.",
    "Deployment guide",
    8,
)


def _answer(question: str, passages: list[SourcePassage], sentences: int = 1, **options) -> tuple:
    model = ExtractiveChatModel(sentences=sentences, **options)
    events = list(answer_stream(model, question=question, passages=passages))
    done = events[-1]
    assert isinstance(done, AnswerDone)
    return events[:-1], done.answer


def test_the_answer_is_the_quote_with_its_citation_and_the_notice_is_metadata() -> None:
    deltas, answer = _answer("How many vacation days do staff get per year?", EN_PASSAGES)

    assert answer.text == "Staff receive 25 days of paid vacation per year. [1]"
    # Passage 2 is cited first: it is [1] now, and the source order says so.
    assert (answer.citations, answer.source_order) == ((1,), (2, 1))
    assert (answer.notice, answer.backend, answer.grounded) == ("extractive", "extractive", True)
    assert (answer.sentences("cited"), answer.sentences("unsupported")) == (1, 0)
    assert len(deltas) > 5
    assert "".join(delta.text for delta in deltas) == answer.text


def test_portuguese_question_gets_the_portuguese_sentence_without_a_label() -> None:
    _, answer = _answer("Quantos dias de férias os funcionários têm?", PT_PASSAGES)

    assert answer.text == "Os funcionários têm direito a 25 dias de férias por ano. [1]"
    assert answer.source_order == (2, 1)


def test_sentences_much_weaker_than_the_best_are_left_out() -> None:
    _, answer = _answer("When does the office open?", EN_PASSAGES, sentences=3)

    assert answer.text == "The office opens at 9am. [1]"


def test_close_sentences_are_quoted_best_first_numbered_by_first_use() -> None:
    _, answer = _answer(
        "Which service answers requests and does the service restart after a failure?",
        [ARCHITECTURE, DEPLOYMENT],
        sentences=3,
        min_ratio=0.3,
    )

    # Passage 2 holds the best sentence: it becomes [1], passage 1 becomes [2].
    assert answer.text == (
        "Containers restart automatically after a failure. [1] "
        "The gateway routes every request to the search service. [2] "
        "The search service answers in under one second. [2]"
    )
    assert (answer.citations, answer.source_order) == ((1, 2), (2, 1))


def test_headings_titles_and_fragments_are_never_quoted() -> None:
    quoted = statements(ARCHITECTURE.text, titles=(ARCHITECTURE.title, ARCHITECTURE.heading))
    _, answer = _answer("building blocks", [DEPLOYMENT, ARCHITECTURE], sentences=3, min_ratio=0.1)

    assert quoted == [
        "The platform has three services.",
        "The gateway routes every request to the search service.",
        "The search service answers in under one second.",
    ]
    assert "Building blocks [" not in answer.text and "Figure 2" not in answer.text
    assert not is_statement("Building blocks")
    assert not is_statement("System overview", titles=["System overview"])
    assert not is_statement("## Annual leave policy for all employees.")
    assert is_statement("Unused days may be carried over until March.")


def test_meaning_similarity_picks_the_sentence_words_miss() -> None:
    def meaning(text: str, candidates) -> list[float]:
        return [0.9 if "portal" in c else 0.0 for c in candidates]

    _, answer = _answer("Where do I ask for time off?", EN_PASSAGES, similarity=meaning)

    assert answer.text == "Requests go through the HR portal. [1]"


def test_no_match_falls_back_to_the_first_statement_of_the_best_passage() -> None:
    _, answer = _answer("xyzzy?", EN_PASSAGES)

    assert answer.text == "The office opens at 9am. [1]"


def test_passages_without_any_statement_give_the_not_found_answer() -> None:
    only_titles = [SourcePassage(1, "Building blocks\n\nFigure 2", "Overview", 1)]

    _, answer = _answer("What are the building blocks?", only_titles)

    assert answer.abstained is True and answer.citations == ()
    assert answer.text.startswith("I could not find this in the documents")


LEAVE = SourcePassage(
    1,
    "Every full-time employee is entitled to twenty-seven days of paid annual leave per "
    "calendar year. Leave requests are approved by your manager in the HR portal. "
    "Part-time staff receive the same days in proportion to their hours.",
    "Handbook",
    2,
)
LEAVE_HISTORY = [
    ChatTurn("user", "How many days of paid annual leave do employees get?"),
    ChatTurn("assistant", "Twenty-seven days per calendar year [1]."),
]


def test_a_follow_up_is_quoted_for_what_it_asks_not_for_the_question_before() -> None:
    model = ExtractiveChatModel(sentences=1)

    text = model.compose("Who approves leave requests?", [LEAVE], LEAVE_HISTORY)

    assert text == "Leave requests are approved by your manager in the HR portal. [1]"


def test_a_follow_up_without_words_of_its_own_is_quoted_in_the_conversations_context() -> None:
    model = ExtractiveChatModel(sentences=1)

    text = model.compose("And for part-time staff?", [LEAVE], LEAVE_HISTORY)

    assert text == ("Part-time staff receive the same days in proportion to their hours. [1]")
