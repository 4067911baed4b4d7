"""The extractive backend (no language model)."""

from __future__ import annotations

from inference import AnswerDone, ExtractiveChatModel, SourcePassage, answer_stream

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


def _answer(question: str, passages: list[SourcePassage], sentences: int = 1) -> tuple:
    model = ExtractiveChatModel(sentences=sentences)
    events = list(answer_stream(model, question=question, passages=passages))
    done = events[-1]
    assert isinstance(done, AnswerDone)
    return events[:-1], done.answer


def test_english_question_gets_labelled_answer_citing_the_matching_passage() -> None:
    deltas, answer = _answer("How many vacation days do staff get per year?", EN_PASSAGES)

    assert answer.text == (
        "Extractive answer (no language model configured): the most relevant sentences "
        "from your documents.\n\nStaff receive 25 days of paid vacation per year. [2]"
    )
    assert answer.citations == (2,)
    assert answer.grounded is True
    assert answer.backend == "extractive"
    assert len(deltas) > 10
    assert "".join(delta.text for delta in deltas) == answer.text


def test_portuguese_question_gets_portuguese_label() -> None:
    _, answer = _answer("Quantos dias de férias os funcionários têm?", PT_PASSAGES)

    assert answer.text == (
        "Resposta extrativa (nenhum modelo de linguagem configurado): as frases mais "
        "relevantes dos seus documentos.\n\n"
        "Os funcionários têm direito a 25 dias de férias por ano. [2]"
    )
    assert answer.citations == (2,)


def test_several_sentences_best_first_each_cited() -> None:
    _, answer = _answer("When does the office open for visitors?", EN_PASSAGES, sentences=2)

    assert answer.text.endswith(
        "\n\nThe office opens at 9am. [1] Visitors sign in at reception. [1]"
    )


def test_similarity_hook_replaces_lexical_scoring() -> None:
    model = ExtractiveChatModel(
        sentences=1,
        similarity=lambda question, sentences: [float("portal" in s) for s in sentences],
    )

    text = model.compose("anything", EN_PASSAGES)

    assert text.endswith("Requests go through the HR portal. [2]")


def test_no_overlap_falls_back_to_first_sentence_of_best_passage() -> None:
    _, answer = _answer("xyzzy?", EN_PASSAGES)

    assert answer.text.endswith("\n\nThe office opens at 9am. [1]")
