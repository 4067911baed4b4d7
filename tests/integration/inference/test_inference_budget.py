"""Prompts counted with the served model's tokenizer and kept inside its max_model_len."""

from __future__ import annotations

import pytest

from inference import (
    Cluster,
    ContextOverflowError,
    Endpoint,
    OpenAICompatibleChatModel,
    ServedTokenCounter,
    SourcePassage,
    answer_stream,
    estimate_tokens,
)
from tests.standin.openai_standin import tokenize
from tests.standin.process import standin_stats

SENTENCE = "Clause {n} says that travel costs above the monthly limit need written approval. "
PASSAGES = [
    SourcePassage(n, (SENTENCE.format(n=n) * 12).strip(), f"Travel policy part {n}", n)
    for n in range(1, 13)
]
QUESTION = "Who approves travel costs above the monthly limit?"


def test_many_long_passages_fit_the_served_max_model_len_without_a_400(standin) -> None:
    base_url, _ = standin(model="m", max_model_len=1024)
    # The operator left context_tokens at 8192; the server says 1024.
    model = OpenAICompatibleChatModel(Cluster([Endpoint(base_url, "m")]), context_tokens=8192)

    answer = list(answer_stream(model, question=QUESTION, passages=PASSAGES))[-1].answer

    assert (
        answer.text
        == "Clause 1 says that travel costs above the monthly limit need written approval. [1]"
    )
    # The prompt's share: window - answer tokens - chat template reserve.
    assert 300 < answer.tokens_in <= 1024 - 512 - 32
    assert model.limits() == (1024, 512)
    assert standin_stats(base_url) == {
        "chat_requests": 1,
        "streams_completed": 1,
        "streams_aborted": 0,
        "rejected_400": 0,
    }
    model.close()


def test_the_same_prompt_without_served_limits_is_refused_by_the_server(standin) -> None:
    base_url, _ = standin(model="m", max_model_len=1024)
    model = OpenAICompatibleChatModel(
        Cluster([Endpoint(base_url, "m")]), context_tokens=8192, served_limits=False
    )

    with pytest.raises(ContextOverflowError):
        list(answer_stream(model, question=QUESTION, passages=PASSAGES))

    assert standin_stats(base_url)["rejected_400"] == 1
    model.close()


def test_tokens_are_counted_by_the_servers_tokenizer_and_cached(standin) -> None:
    base_url, _ = standin(model="m")
    cluster = Cluster([Endpoint(base_url, "m")])
    counter = ServedTokenCounter(cluster, "m")
    text = "Hello, world! Travel costs: 1,500 EUR."

    assert counter(text) == len(tokenize(text)) == 12
    assert counter(text) == 12
    assert (counter.remote_counts, counter.estimates) == (1, 0)
    assert estimate_tokens(text) == 13  # what the fallback would have said
    assert counter.served_context_tokens() == 8192
    cluster.close()


def test_a_server_without_tokenize_falls_back_to_the_estimate(standin) -> None:
    base_url, process = standin(model="m")
    process.kill()
    process.wait()
    cluster = Cluster([Endpoint(base_url, "m")], connect_timeout_s=0.5)
    counter = ServedTokenCounter(cluster, "m", retry_after_s=60)

    assert [counter("Hello, world!"), counter("Hello again")] == [5, 4]
    assert (counter.remote_counts, counter.estimates) == (0, 2)
    assert counter.served_context_tokens() is None
    cluster.close()


def test_a_prompt_that_fits_by_bytes_needs_no_tokenize_round_trip(standin) -> None:
    base_url, _ = standin(model="m", max_model_len=8192)
    model = OpenAICompatibleChatModel(Cluster([Endpoint(base_url, "m")]))
    short = PASSAGES[:2]

    answer = list(answer_stream(model, question=QUESTION, passages=short))[-1].answer
    assert model._served is not None and model._served.remote_counts == 0
    long_answer = list(answer_stream(model, question=QUESTION, passages=PASSAGES * 3))[-1].answer

    assert answer.citations == long_answer.citations == (1,)
    # 2 passages fit 8192 tokens even counting one token per UTF-8 byte; 36 do not.
    assert model._served.remote_counts >= 1
    assert model._served.estimates == 0
    model.close()
