"""Closing an answer stream closes the upstream HTTP stream: the model server sees it go."""

from __future__ import annotations

from inference import Cluster, Endpoint, OpenAICompatibleChatModel, SourcePassage, answer_stream
from tests.standin.process import standin_stats
from tests.support.polling import wait_for

LONG = (
    "The quarterly security review covers badges, laptops, visitor logs, door alarms, "
    "camera footage retention, incident reports, phishing drills and the key cabinet."
)
PASSAGES = [SourcePassage(1, LONG, "Security", 1)]


def test_closing_the_answer_stream_cancels_the_upstream_request(standin) -> None:
    base_url, _ = standin(model="m", delay_ms=150)
    model = OpenAICompatibleChatModel(Cluster([Endpoint(base_url, "m")]))
    events = answer_stream(model, question="What does the review cover?", passages=PASSAGES)

    first, second = next(events), next(events)
    events.close()

    # The space after a word waits for the next word (it may precede a citation marker).
    assert first.text + second.text == "The quarterly"
    assert wait_for(lambda: standin_stats(base_url)["streams_aborted"] == 1)
    assert standin_stats(base_url) == {
        "chat_requests": 1,
        "streams_completed": 0,
        "streams_aborted": 1,
        "rejected_400": 0,
    }
    assert [status.outstanding for status in model.cluster.status()] == [0]
    model.close()
