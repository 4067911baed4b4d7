"""Streamed responses: the web UI's SSE bridge, and OpenAI's data-only wire format on top of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.http import StreamingHttpResponse

from webapp.chat.events import AnswerEvent, ErrorEvent
from webapp.chat.sse import event_batches, sse_data, sse_stream

__all__ = ["event_stream_response", "openai_stream_response"]


def _streaming_response(body: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def event_stream_response(events: Iterator[AnswerEvent]) -> StreamingHttpResponse:
    """Enclave's own events (sources, delta..., done | error) as named SSE events."""
    return _streaming_response(sse_stream(events))


async def _openai_sse(chunks: Iterator[dict[str, Any] | ErrorEvent]) -> AsyncIterator[str]:
    # OpenAI streams carry no event names: only the chunks' data lines. An error event
    # (the answer's, or the bridge's when the generator raised) becomes OpenAI's
    # {"error": {...}} chunk and ends the stream.
    async for batch in event_batches(chunks):
        lines = []
        for event in batch:
            if isinstance(event, ErrorEvent):
                error = {"message": event.message, "type": "enclave_error", "code": event.code}
                lines.append(sse_data({"error": error}))
                yield "".join(lines)
                return
            lines.append(sse_data(event))
        yield "".join(lines)
    yield "data: [DONE]\n\n"


def openai_stream_response(chunks: Iterator[dict[str, Any] | ErrorEvent]) -> StreamingHttpResponse:
    """OpenAI chat-completion chunks (dicts) and a possible ``ErrorEvent`` as ``data:`` lines."""
    return _streaming_response(_openai_sse(chunks))
