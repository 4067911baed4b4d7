"""The SSE bridge and the citation splitter, without the search engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

from webapp.core.errors import NotFoundError
from webapp.web.citations import AnswerSegment, answer_segments
from webapp.web.sse import sse_stream


def _collect(events: Iterator[dict]) -> list[str]:
    """The SSE blocks the client receives (a burst of events arrives as one write)."""

    async def run() -> str:
        return "".join([chunk async for chunk in sse_stream(events)])

    return [block + "\n\n" for block in asyncio.run(run()).split("\n\n") if block]


def test_each_event_becomes_an_sse_block_with_json_data():
    events = iter(
        [
            {"event": "delta", "text": "Zwanzig Tage <b>"},
            {"event": "done", "conversation_id": 7, "citations": [1]},
        ]
    )

    assert _collect(events) == [
        'event: delta\ndata: {"text": "Zwanzig Tage <b>"}\n\n',
        'event: done\ndata: {"conversation_id": 7, "citations": [1]}\n\n',
    ]


def test_a_business_error_mid_stream_becomes_an_error_event_and_closes_the_generator():
    closed = []

    def events() -> Iterator[dict]:
        try:
            yield {"event": "delta", "text": "a"}
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
    def events() -> Iterator[dict]:
        raise RuntimeError("secret prompt text")
        yield {}

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
