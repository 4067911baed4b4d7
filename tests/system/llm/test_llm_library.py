"""The inference library against a real llama.cpp ``llama-server`` (not the stand-in).

What a 135M model says does not matter here; the protocol does: streamed deltas,
the server's own token counts and window, sampling overrides, health checks.
"""

from __future__ import annotations

import re

import pytest

from inference import (
    AnswerDelta,
    AnswerDone,
    Cluster,
    Endpoint,
    OpenAICompatibleChatModel,
    ServedTokenCounter,
    SourcePassage,
    answer_stream,
    estimate_tokens,
)
from tests.support.llama_server import CONTEXT_TOKENS, MODEL_ALIAS, LlamaServer

pytestmark = [pytest.mark.llm, pytest.mark.timeout(600)]

LEAVE = SourcePassage(
    1,
    "Every full-time employee is entitled to twenty-seven days of paid annual leave per "
    "calendar year. Unused days may be carried over until March.",
    "Leave policy",
    2,
)
TRAVEL = (
    "Clause {n} of the travel policy: travel costs above the monthly limit need written "
    "approval from the budget owner before booking. Hotels are booked through the travel "
    "desk, and receipts are uploaded within ten days. "
)
# Twelve long passages: about 1,300 tokens together, more than half the 2,048 window.
MANY = [LEAVE] + [
    SourcePassage(n, (TRAVEL.format(n=n) * 3).strip(), f"Travel policy part {n}", n)
    for n in range(2, 13)
]
QUESTION = "How many days of paid annual leave do employees get?"


def _model(llama: LlamaServer, **options: object) -> OpenAICompatibleChatModel:
    cluster = Cluster([Endpoint(llama.base_url, MODEL_ALIAS)], first_token_timeout_s=120)
    return OpenAICompatibleChatModel(cluster, **options)


def test_deltas_stream_while_the_server_is_still_generating(llama: LlamaServer) -> None:
    model = _model(llama, max_answer_tokens=200)
    before = llama.counters()
    events = answer_stream(model, question=QUESTION, passages=[LEAVE])
    try:
        first = next(events)
        # The first words are here and the server has not finished the answer.
        generating = llama.slot()["is_processing"]
        rest = list(events)
    finally:
        model.close()
    served = {name: value - before[name] for name, value in llama.counters().items()}

    assert isinstance(first, AnswerDelta) and first.text
    assert generating is True
    deltas, done = [first, *rest[:-1]], rest[-1]
    assert isinstance(done, AnswerDone) and all(isinstance(d, AnswerDelta) for d in deltas)
    answer = done.answer
    assert (answer.model, answer.backend) == (MODEL_ALIAS, "openai")
    # Enclave's token counts are the server's own, for the request it just served.
    assert answer.tokens_out == served["tokens_predicted_total"] >= len(deltas) > 1
    assert answer.tokens_in == served["prompt_tokens_total"] + served["prompt_tokens_cached_total"]


def test_every_request_overrides_the_servers_own_sampling(llama: LlamaServer) -> None:
    # The server was started with --temp 0.8 --repeat-penalty 1.3; a repetition penalty
    # is what turned a correct [2] into [3] with a real model.
    model = _model(llama, max_answer_tokens=16)
    try:
        list(answer_stream(model, question=QUESTION, passages=[LEAVE]))
    finally:
        model.close()

    params = llama.slot()["params"]
    assert (params["temperature"], params["repeat_penalty"]) == (0.0, 1.0)


def test_greedy_answers_are_the_same_every_time(llama: LlamaServer) -> None:
    model = _model(llama, max_answer_tokens=48)
    try:
        texts = [
            list(answer_stream(model, question=QUESTION, passages=[LEAVE]))[-1].answer.text
            for _ in range(3)
        ]
    finally:
        model.close()

    assert texts[0] and texts == [texts[0]] * 3


def test_tokens_are_counted_in_llama_cpps_tokenize_dialect(llama: LlamaServer) -> None:
    cluster = Cluster([Endpoint(llama.base_url, MODEL_ALIAS)])
    counter = ServedTokenCounter(cluster, MODEL_ALIAS)
    text = "Hello, world! Travel costs: 1,500 EUR. Férias: vinte e sete dias."
    try:
        counted = counter(text)
        again = counter(text)
        window = counter.served_context_tokens()
    finally:
        cluster.close()

    # llama.cpp's count (its /tokenize has no "count" field, only the ids).
    assert counted == again == len(llama.tokenize(text)) > 0
    assert counted != estimate_tokens(text)
    assert (counter.remote_counts, counter.estimates) == (1, 0)
    # llama.cpp says its window in /v1/models' meta.n_ctx (vLLM: max_model_len).
    assert window == CONTEXT_TOKENS


def test_many_passages_are_budgeted_into_the_served_window(llama: LlamaServer) -> None:
    # The operator left context_tokens at 8192; the server has 2048.
    model = _model(llama, context_tokens=8192, max_answer_tokens=256)
    try:
        events = list(answer_stream(model, question=QUESTION, passages=MANY))
        limits = model.limits()
        counted = model._served.remote_counts if model._served else 0
    finally:
        model.close()

    answer = events[-1].answer
    assert limits == (CONTEXT_TOKENS, 256)
    assert counted > 0  # the passages did not fit by bytes: counted by the server
    # A 400 ("exceeds the available context size") would have raised; the prompt fit.
    assert answer.backend == "openai" and 1000 < answer.tokens_in <= CONTEXT_TOKENS - 256


def test_cited_markers_are_checked_against_the_passages_given(llama: LlamaServer) -> None:
    # One passage with markers in its own text: SmolLM2 (greedy, so always the same
    # words) writes [1] and then numbers up to [17].
    marked = SourcePassage(
        1,
        "Every full-time employee is entitled to twenty-seven days of paid annual leave per "
        "calendar year [7]. Unused days may be carried over until March [9].",
        "Leave policy",
        2,
    )
    model = _model(llama, max_answer_tokens=120)
    try:
        events = list(answer_stream(model, question=QUESTION, passages=[marked]))
    finally:
        model.close()

    streamed = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    answer = events[-1].answer
    said = {int(n) for n in re.findall(r"\[(\d+)\]", streamed)}
    # The markers of passages that were not given are reported, never shown.
    assert answer.invalid_citations, f"no marker beyond [1]; pick another question: {streamed!r}"
    assert min(answer.invalid_citations) > 1
    assert said - {1} <= set(answer.invalid_citations)
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} <= set(answer.citations)
    assert answer.citations == (1,) and answer.grounded is True


def test_a_server_serving_another_model_is_out_of_rotation(llama: LlamaServer) -> None:
    cluster = Cluster([Endpoint(llama.base_url, "qwen2.5-7b-instruct")])
    try:
        [status] = cluster.check_health()
    finally:
        cluster.close()

    assert not status.up
    assert status.last_error == f"does not serve qwen2.5-7b-instruct (serves {MODEL_ALIAS})"


def test_a_killed_server_leaves_the_rotation_and_returns_when_restarted(
    llama: LlamaServer,
) -> None:
    cluster = Cluster([Endpoint(llama.base_url, MODEL_ALIAS)], cooloff_s=600)
    try:
        before = cluster.check_health()[0].up
        llama.kill()
        [down] = cluster.check_health()
        llama.start()  # same port, as a supervisor restarting it would
        [back] = cluster.check_health()
    finally:
        cluster.close()

    assert before is True
    assert not down.up and down.last_error.startswith("unreachable")
    # Back at the first passing check, not after the (600 s) cool-off.
    assert back.up and back.last_error == ""
