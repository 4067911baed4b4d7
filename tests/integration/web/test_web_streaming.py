"""The SSE bridge and the citation splitter, without the search engine."""

from __future__ import annotations

import asyncio
import json
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


def test_a_pool_whose_threads_all_stopped_is_replaced_and_the_answer_still_streams():
    from webapp.chat import sse

    old = sse._answer_pool
    old.submit(lambda: None).result()  # at least one thread started
    old.shutdown(wait=True)  # ... and every one of them stopped
    done = DoneEvent(
        conversation_id=1, message_id=2, text="ok", citations=[], sources=[], grounded=False
    )

    blocks = _collect(iter([DeltaEvent(text="ok"), done]))

    assert blocks[0] == 'event: delta\ndata: {"text": "ok"}\n\n'
    assert sse._answer_pool is not old
