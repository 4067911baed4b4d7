"""The OpenAI-compatible backend against one stand-in server process."""

from __future__ import annotations

import pytest

from inference import (
    AnswerDelta,
    AnswerDone,
    ChatTurn,
    Cluster,
    ContextOverflowError,
    Endpoint,
    InferenceConfig,
    OpenAICompatibleChatModel,
    SourcePassage,
    answer_stream,
    build_prompt,
    chat_model_from_config,
)
from tests.standin.openai_standin import prompt_tokens
from tests.standin.process import standin_stats

PASSAGES = [
    SourcePassage(
        1,
        "Employees get 25 days of paid vacation per year. Requests go through the portal.",
        "HR policy",
        3,
    ),
    SourcePassage(2, "The office opens at 9am.", "Handbook", None),
]
EXPECTED = "Employees get 25 days of paid vacation per year. [1]"
QUESTION = "How many vacation days do I get?"


def test_answers_in_a_row_share_one_connection_to_the_model_server(standin) -> None:
    base_url, _ = standin(model="llama-test")
    config = InferenceConfig(endpoints=(Endpoint(base_url, "llama-test"),), health_interval_s=0)
    model = chat_model_from_config(config)

    def connections() -> int:  # this request's own connection included
        return standin_stats(base_url, connections=True)["connections"]

    before = connections()
    for _ in range(3):
        events = list(answer_stream(model, question=QUESTION, passages=PASSAGES))
        assert events[-1].answer.text == EXPECTED

    # Each stream is read to its end after [DONE], so its connection is reused.
    assert connections() - before == 2


def test_streams_the_standins_grounded_answer(standin) -> None:
    base_url, _ = standin(model="llama-test", delay_ms=20)
    config = InferenceConfig(endpoints=(Endpoint(base_url, "llama-test"),))
    model = chat_model_from_config(config)
    history = [ChatTurn("user", "Hi"), ChatTurn("assistant", "Hello! How can I help?")]

    events = list(answer_stream(model, question=QUESTION, passages=PASSAGES, history=history))

    deltas = [event.text for event in events if isinstance(event, AnswerDelta)]
    answer = events[-1].answer
    assert isinstance(events[-1], AnswerDone)
    assert len(deltas) == 10
    assert "".join(deltas) == EXPECTED
    assert answer.text == EXPECTED
    assert (answer.citations, answer.invalid_citations, answer.grounded) == ((1,), (), True)
    assert (answer.model, answer.backend) == ("llama-test", "openai")
    messages = build_prompt(
        question=QUESTION,
        passages=PASSAGES,
        history=history,
        context_tokens=config.context_tokens,
        max_answer_tokens=config.max_answer_tokens,
    ).messages
    assert answer.tokens_in == prompt_tokens(messages)
    assert answer.tokens_out == 13
    assert answer.first_token_ms is not None and answer.first_token_ms >= 20
    assert answer.total_ms >= answer.first_token_ms + 9 * 20


def test_base_url_without_v1_works(standin) -> None:
    base_url, _ = standin(model="m")
    model = chat_model_from_config(
        InferenceConfig(endpoints=(Endpoint(base_url.removesuffix("/v1") + "/", "m"),))
    )

    assert "".join(model.stream(question=QUESTION, passages=PASSAGES)) == EXPECTED


def test_server_context_overflow_is_reported_and_replica_stays_up(standin) -> None:
    base_url, _ = standin(model="m", max_model_len=600)
    cluster = Cluster([Endpoint(base_url, "m")])
    # Without served limits the client trusts context_tokens, so the server must refuse.
    model = OpenAICompatibleChatModel(
        cluster, max_answer_tokens=512, context_tokens=8192, served_limits=False
    )

    with pytest.raises(ContextOverflowError) as excinfo:
        list(model.stream(question=QUESTION, passages=PASSAGES))

    assert "maximum context length is 600 tokens" in excinfo.value.message
    assert [status.up for status in cluster.status()] == [True]
    cluster.close()
