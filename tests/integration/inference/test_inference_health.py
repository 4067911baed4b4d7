"""Active health checks: /health and /v1/models take replicas out of rotation and back."""

from __future__ import annotations

import time

import httpx
import pytest

from inference import (
    Cluster,
    Endpoint,
    ModelUnavailableError,
    OpenAICompatibleChatModel,
    SourcePassage,
    answer_stream,
)

PASSAGES = [SourcePassage(1, "Badges are renewed every two years.", "Security", 7)]


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1].split("/")[0])


def _up(cluster: Cluster) -> list[bool]:
    return [status.up for status in cluster.status()]


def test_a_dead_replica_leaves_without_any_request_and_returns_when_healthy(standin) -> None:
    url_a, process_a = standin(model="m")
    url_b, _ = standin(model="m")
    cluster = Cluster([Endpoint(url_a, "m"), Endpoint(url_b, "m")], cooloff_s=600)
    try:
        assert [s.up for s in cluster.check_health()] == [True, True]
        process_a.kill()
        process_a.wait()

        first, second = cluster.check_health()
        assert (first.up, second.up) == (False, True)
        assert first.last_error.startswith("unreachable")

        standin(_port(url_a), model="m")
        # Back at the first passing check, not after the (600 s) cool-off.
        assert _up(cluster) == [False, True]
        assert [s.up for s in cluster.check_health()] == [True, True]
        assert cluster.status()[0].last_error == ""
    finally:
        cluster.close()


def test_a_replica_serving_another_model_is_out(standin) -> None:
    url, _ = standin(model="other")
    cluster = Cluster([Endpoint(url, "m")])
    try:
        [status] = cluster.check_health()
    finally:
        cluster.close()

    assert not status.up
    assert status.last_error == "does not serve m (serves other)"


def test_a_passing_check_does_not_cut_a_cool_off_short(standin) -> None:
    # A replica that failed a real request rests its cool-off even though /health is fine.
    url, _ = standin(model="m", fail_mode="error500")
    cluster = Cluster([Endpoint(url, "m")], cooloff_s=600)
    model = OpenAICompatibleChatModel(cluster)
    try:
        with pytest.raises(ModelUnavailableError):
            list(answer_stream(model, question="Who?", passages=PASSAGES))
        httpx.post(url.removesuffix("/v1") + "/standin/config", json={"fail_mode": "none"})
        [status] = cluster.check_health()
    finally:
        cluster.close()

    assert not status.up and status.last_error.startswith("HTTP 500")


def test_the_checker_thread_runs_on_its_own_and_stops_with_the_cluster(standin) -> None:
    url, process = standin(model="m")
    cluster = Cluster([Endpoint(url, "m")], health_interval_s=0.05)
    checker = cluster._checker
    process.kill()
    process.wait()
    deadline = time.monotonic() + 30  # a bound against hanging, not a timing
    while _up(cluster) == [True] and time.monotonic() < deadline:
        time.sleep(0.02)
    cluster.close()

    assert _up(cluster) == [False]
    assert checker is not None and not checker.is_alive()
