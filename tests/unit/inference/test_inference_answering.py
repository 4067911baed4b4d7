"""answer_stream, the backend factory, language detection and the import rule."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Generator, Sequence

import pytest

from inference import (
    AnswerDelta,
    AnswerDone,
    ChatTurn,
    Endpoint,
    ExtractiveChatModel,
    InferenceConfig,
    OpenAICompatibleChatModel,
    SourcePassage,
    StreamStats,
    answer_stream,
    chat_model_from_config,
    detect_language,
)

PASSAGES = [SourcePassage(1, "Vacation is 25 days.", "HR", 1), SourcePassage(2, "B.", "X", None)]


class ScriptedModel:
    """A ChatModel that replays fixed deltas and records calls."""

    name = "scripted"
    backend = "openai"
    generative = True
    wants_standalone_query = False

    def __init__(self, deltas: list[str]) -> None:
        self.deltas = deltas
        self.calls = 0

    def stream(
        self,
        *,
        question: str,
        passages: Sequence[SourcePassage],
        history: Sequence[ChatTurn] = (),
    ) -> Generator[str, None, StreamStats]:
        self.calls += 1
        yield from self.deltas
        return StreamStats(model="served-model", tokens_in=120, tokens_out=9)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many vacation days do I get?", "I could not find this in the documents"),
        ("Quantos dias de férias eu tenho?", "Não encontrei isso nos documentos"),
    ],
)
def test_no_passages_never_calls_the_model(question: str, expected: str) -> None:
    model = ScriptedModel(["should not appear"])

    events = list(answer_stream(model, question=question, passages=[]))

    assert model.calls == 0
    assert len(events) == 2
    delta, done = events
    assert isinstance(delta, AnswerDelta) and delta.text.startswith(expected)
    assert isinstance(done, AnswerDone)
    assert done.answer.text == delta.text
    assert done.answer.grounded is False
    assert done.answer.citations == ()
    assert done.answer.first_token_ms is None
    assert (done.answer.abstained, done.answer.notice) == (True, "")


def test_stream_checks_citations_and_reports_backend_stats() -> None:
    model = ScriptedModel(["Vacation is ", "25 days [", "1]", " and more [5]."])

    events = list(answer_stream(model, question="Vacation?", passages=PASSAGES))

    # A marker split over deltas is held back until it is whole; [5] (no such passage)
    # never reaches the reader.
    deltas = [e.text for e in events[:-1] if isinstance(e, AnswerDelta)]
    assert deltas == ["Vacation is", " 25 days", " [1]", " and more."]
    answer = events[-1].answer
    assert answer.text == "".join(deltas) == "Vacation is 25 days [1] and more."
    assert (answer.citations, answer.invalid_citations) == ((1,), (5,))
    assert (answer.sentences("cited"), answer.source_order) == (1, (1, 2))
    assert (answer.model, answer.backend, answer.tokens_in, answer.tokens_out) == (
        "served-model",
        "openai",
        120,
        9,
    )
    assert answer.grounded is True
    assert answer.first_token_ms is not None and answer.first_token_ms <= answer.total_ms


def test_answer_without_valid_citation_is_not_grounded() -> None:
    answer = list(answer_stream(ScriptedModel(["I don't know."]), question="?", passages=PASSAGES))[
        -1
    ].answer

    assert answer.grounded is False
    assert answer.text == "I don't know."


def test_factory_picks_backend_from_endpoints() -> None:
    extractive = chat_model_from_config(InferenceConfig(extractive_sentences=2))
    remote = chat_model_from_config(
        InferenceConfig(endpoints=(Endpoint("http://127.0.0.1:9", "llama"),))
    )

    assert isinstance(extractive, ExtractiveChatModel)
    assert (extractive.backend, extractive.name) == ("extractive", "extractive")
    assert isinstance(remote, OpenAICompatibleChatModel)
    assert (remote.backend, remote.name) == ("openai", "llama")
    remote.cluster.close()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What is the vacation policy?", "en"),
        ("Qual é a política de férias?", "pt"),
        ("Como faço um pedido de reembolso", "pt"),
        ("Onde fica o escritório?", "pt"),
        ("VPN", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_inference_imports_nothing_of_the_application_or_frameworks() -> None:
    code = (
        "import sys, inference\n"
        "bad = {'django', 'celery', 'webapp', 'worker', 'retrieval'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
