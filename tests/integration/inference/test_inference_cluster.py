"""Routing and failover over several stand-in server processes."""

from __future__ import annotations

import threading
import time

import pytest

from inference import (
    Cluster,
    Endpoint,
    ModelUnavailableError,
    OpenAICompatibleChatModel,
    SourcePassage,
    UpstreamError,
    answer_stream,
)
from tests.standin.process import standin_stats

PASSAGES = [SourcePassage(1, "Badges are renewed every two years. Ask security.", "Security", 7)]
EXPECTED = "Badges are renewed every two years. [1]"
QUESTION = "How often are badges renewed?"


def _model(endpoints: list[Endpoint], **timeouts: float) -> OpenAICompatibleChatModel:
    options = {"connect_timeout_s": 1.0, "first_token_timeout_s": 2.0, "request_timeout_s": 10.0}
    return OpenAICompatibleChatModel(Cluster(endpoints, **{**options, **timeouts}))


def _ask(model: OpenAICompatibleChatModel):
    return list(answer_stream(model, question=QUESTION, passages=PASSAGES))[-1].answer


def _dead_url(standin) -> str:
    base_url, process = standin()
    process.kill()
    process.wait()
    return base_url


def test_killed_replica_does_not_lose_any_request(standin) -> None:
    url_a, process_a = standin(model="m")
    url_b, _ = standin(model="m")
    model = _model([Endpoint(url_a, "m"), Endpoint(url_b, "m")])
    assert _ask(model).text == EXPECTED  # warms pooled connections to both
    assert _ask(model).text == EXPECTED

    process_a.kill()
    process_a.wait()
    answers = [_ask(model) for _ in range(10)]

    assert [answer.text for answer in answers] == [EXPECTED] * 10
    assert [status.up for status in model.cluster.status()] == [False, True]


def test_all_replicas_down_fails_fast_with_clear_message(standin) -> None:
    model = _model([Endpoint(_dead_url(standin), "m"), Endpoint(_dead_url(standin), "m")])

    with pytest.raises(ModelUnavailableError) as excinfo:
        _ask(model)

    assert "ConnectError" in str(excinfo.value)  # refused at once, no waiting on a timeout
    assert excinfo.value.code == "model_unavailable"
    assert "all 2 model server(s) are down or did not answer in time" in str(excinfo.value)
    with pytest.raises(ModelUnavailableError):  # circuit open: no network attempt at all
        _ask(model)


def test_replica_silent_before_first_token_times_out_and_fails_over(standin) -> None:
    slow_url, _ = standin(model="slow", delay_ms=5000)
    model = _model([Endpoint(slow_url, "slow")], first_token_timeout_s=0.5)

    with pytest.raises(ModelUnavailableError) as excinfo:
        _ask(model)

    assert "Timeout" in str(excinfo.value)  # given up at 0.5 s, not after the 5 s delay


@pytest.mark.parametrize("fail_mode", ["error500", "overloaded503"])
def test_failing_replica_is_ejected_and_the_other_answers(standin, fail_mode: str) -> None:
    bad_url, _ = standin(model="bad", fail_mode=fail_mode)
    good_url, _ = standin(model="good")
    model = _model([Endpoint(bad_url, "bad"), Endpoint(good_url, "good")])

    answers = [_ask(model) for _ in range(5)]

    assert [(answer.text, answer.model) for answer in answers] == [(EXPECTED, "good")] * 5
    # The answer names the replica that wrote it (the per-replica metrics' label).
    assert {answer.replica for answer in answers} == {good_url}
    bad, good = model.cluster.status()
    assert (bad.up, good.up) == (False, True)
    assert bad.last_error.startswith("HTTP 5")
    assert model.cluster.replicas[0].dispatched == 1


def test_replica_is_tried_again_after_cool_off(standin) -> None:
    base_url, process = standin(model="m")
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    process.kill()
    process.wait()
    model = _model([Endpoint(base_url, "m")], cooloff_s=0.3)
    with pytest.raises(ModelUnavailableError):
        _ask(model)

    standin(port, model="m")
    time.sleep(0.35)

    assert _ask(model).text == EXPECTED


def test_failure_after_first_token_raises_upstream_error_with_partial_text(standin) -> None:
    url, _ = standin(model="m", fail_mode="die-mid-stream")
    good_url, _ = standin(model="m")
    model = _model([Endpoint(url, "m", weight=5), Endpoint(good_url, "m")])
    deltas: list[str] = []

    with pytest.raises(UpstreamError) as excinfo:
        for event in answer_stream(model, question=QUESTION, passages=PASSAGES):
            deltas.append(event.text)

    # The space after a word waits for the next word (it may precede a citation marker).
    assert "".join(deltas) == "Badges are"
    assert excinfo.value.code == "upstream_error"
    assert "incomplete" in str(excinfo.value)


def test_weights_split_sequential_requests(standin) -> None:
    url_a, _ = standin(model="a")
    url_b, _ = standin(model="b")
    model = _model([Endpoint(url_a, "a", weight=3), Endpoint(url_b, "b", weight=1)])

    served = [_ask(model).model for _ in range(8)]

    assert served.count("a") == 6 and served.count("b") == 2


def test_concurrent_requests_go_to_the_least_busy_replica(standin) -> None:
    url_a, _ = standin(model="a", delay_ms=60)
    url_b, _ = standin(model="b", delay_ms=60)
    model = _model([Endpoint(url_a, "a"), Endpoint(url_b, "b")])
    served: list[str] = []
    lock = threading.Lock()

    def ask() -> None:
        answer = _ask(model)
        with lock:
            served.append(answer.model)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(served) == ["a", "a", "a", "b", "b", "b"]
    assert [status.outstanding for status in model.cluster.status()] == [0, 0]


def test_more_answers_at_once_than_httpx_allows_by_default_all_stream_and_keep_their_connections(
    standin,
) -> None:
    # httpx caps a client at 100 connections (a 101st answer waits for a slot, here
    # past the pool timeout) and keeps 20 of them alive.
    url, _ = standin(model="m", delay_ms=150)  # each answer streams for over a second
    # The pool timeout (the connect timeout, 1 s) is what a capped pool would trip; the
    # first token of 110 streams from one stand-in may take longer on a busy machine.
    model = _model([Endpoint(url, "m")], first_token_timeout_s=60.0, request_timeout_s=120.0)
    concurrent = 110
    before = standin_stats(url, connections=True)["connections"]

    for _ in range(2):
        answers: list[str] = []
        start = threading.Barrier(concurrent)

        def ask(answers: list[str] = answers, start: threading.Barrier = start) -> None:
            start.wait()
            answers.append(_ask(model).text)

        threads = [threading.Thread(target=ask) for _ in range(concurrent)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert answers == [EXPECTED] * concurrent

    # The second wave found every connection of the first one alive (+1: this read).
    opened = standin_stats(url, connections=True)["connections"] - before
    assert opened <= concurrent + 1


def test_connection_closed_before_any_answer_is_dialled_again_not_ejected(standin) -> None:
    # A server closing a keep-alive connection just as the client reuses it: one lone
    # replica must not be ejected (every user would get "unavailable" for the cool-off).
    url, _ = standin(model="m", fail_mode="drop-once")
    model = _model([Endpoint(url, "m")])

    assert _ask(model).text == EXPECTED

    assert [status.up for status in model.cluster.status()] == [True]
    stats = standin_stats(url)
    assert stats["chat_requests"] == 2 and stats["streams_completed"] == 1
