"""The SSE bridge and the citation splitter, without the search engine."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

from webapp.chat.events import DeltaEvent, DoneEvent, event_from_wire
from webapp.chat.sse import sse_stream
from webapp.core.errors import NotFoundError
from webapp.web.citations import AnswerSegment, answer_segments


def _collect(events: Iterator) -> list[str]:
    """The SSE blocks the client receives (a burst of events arrives as one write)."""

    async def run() -> str:
        return "".join([chunk async for chunk in sse_stream(events)])

    return [block + "\n\n" for block in asyncio.run(run()).split("\n\n") if block]


def test_each_event_becomes_an_sse_block_with_json_data():
    done = DoneEvent(
        conversation_id=7, message_id=9, text="Zwanzig", citations=[], sources=[], grounded=False
    )
    events = iter([DeltaEvent(text="Zwanzig Tage <b>"), done])

    delta_block, done_block = _collect(events)

    assert delta_block == 'event: delta\ndata: {"text": "Zwanzig Tage <b>"}\n\n'
    assert done_block.startswith('event: done\ndata: {"conversation_id": 7, "message_id": 9, ')
    # What a client reads back is the event that was sent.
    assert event_from_wire("done", json.loads(done_block.split("data: ")[1])) == done


def test_a_business_error_mid_stream_becomes_an_error_event_and_closes_the_generator():
    closed = []

    def events() -> Iterator:
        try:
            yield DeltaEvent(text="a")
            raise NotFoundError("Conversation not found.")
        finally:
            closed.append(True)

    chunks = _collect(events())

    assert chunks[0] == 'event: delta\ndata: {"text": "a"}\n\n'
    assert chunks[1].startswith("event: error\n")
    assert json.loads(chunks[1].split("data: ")[1]) == {
        "code": "not_found",
        "message": "Conversation not found.",
    }
    assert closed == [True]


def test_an_unexpected_failure_is_reported_without_details():
    def events() -> Iterator:
        raise RuntimeError("secret prompt text")
        yield DeltaEvent(text="never")

    [chunk] = _collect(events())

    assert "secret" not in chunk
    assert json.loads(chunk.split("data: ")[1])["code"] == "unavailable"


def test_answer_segments_turn_cited_markers_into_chips_only():
    one = {"number": 1, "title": "Handbook"}
    two = {"number": 2, "title": "Policy"}

    segments = answer_segments("Leave is 20 days [1, 2], see also [3] and [2].", [one, two])

    assert segments == [
        AnswerSegment(text="Leave is 20 days "),
        AnswerSegment(number=1, source=one),
        AnswerSegment(number=2, source=two),
        AnswerSegment(text=", see also [3] and "),
        AnswerSegment(number=2, source=two),
        AnswerSegment(text="."),
    ]


def test_each_answer_runs_on_a_thread_of_its_own_that_ends_with_the_stream():
    from webapp.chat.sse import ANSWER_THREAD_NAME

    threads = []
    done = DoneEvent(
        conversation_id=1, message_id=2, text="ok", citations=[], sources=[], grounded=False
    )

    def events() -> Iterator:
        threads.append(threading.current_thread())
        yield DeltaEvent(text="ok")
        yield done

    first = _collect(events())
    second = _collect(events())

    assert first[0] == second[0] == 'event: delta\ndata: {"text": "ok"}\n\n'
    assert [thread.name for thread in threads] == [ANSWER_THREAD_NAME] * 2
    assert threads[0] is not threads[1]
    assert threading.main_thread() not in threads
    for thread in threads:
        thread.join(timeout=60)  # the stream has ended; the thread is finishing its last line
        assert not thread.is_alive()


def test_a_stream_whose_wake_up_is_lost_still_ends(monkeypatch):
    from webapp.chat import sse

    relays = []
    original_init = sse._Relay.__init__

    def remember(relay, *args, **kwargs):
        original_init(relay, *args, **kwargs)
        relays.append(relay)

    def put_without_waking(relay, event):
        with relay._lock:
            if event is None:
                relay._ended = True
            else:
                relay._events.append(event)

    monkeypatch.setattr(sse._Relay, "__init__", remember)
    monkeypatch.setattr(sse._Relay, "_put", put_without_waking)
    monkeypatch.setattr(sse, "RECHECK_S", 0.05)
    done = DoneEvent(
        conversation_id=1, message_id=2, text="ok", citations=[], sources=[], grounded=False
    )

    def events() -> Iterator:
        while relays[0]._waiter is None:  # the reader waits on an empty queue first
            threading.Event().wait(0.01)
        yield DeltaEvent(text="ok")
        yield done

    blocks = _collect(events())

    assert "".join(blocks).count("event: ") == 2
