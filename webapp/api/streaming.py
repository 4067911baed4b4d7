"""Streamed responses: the web UI's SSE bridge, and OpenAI's data-only wire format on top of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.http import StreamingHttpResponse

from webapp.web.sse import event_batches, sse_data, sse_stream

__all__ = ["OPENAI_CHUNK_EVENT", "event_stream_response", "openai_stream_response"]

OPENAI_CHUNK_EVENT = "chunk"


def _streaming_response(body: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def event_stream_response(events: Iterator[dict[str, Any]]) -> StreamingHttpResponse:
    """Enclave's own events (sources, delta..., done | error) as named SSE events."""
    return _streaming_response(sse_stream(events))


async def _openai_sse(chunks: Iterator[dict[str, Any]]) -> AsyncIterator[str]:
    # OpenAI streams carry no event names: only the chunks' data lines. The bridge's
    # own failure event (the generator raised) becomes OpenAI's {"error": {...}} chunk.
    async for batch in event_batches(chunks):
        lines = []
        for event in batch:
            if event["event"] != OPENAI_CHUNK_EVENT:
                failure = {k: v for k, v in event.items() if k != "event"}
                error = {"message": failure.get("message", ""), "type": "enclave_error", **failure}
                lines.append(sse_data({"error": error}))
                yield "".join(lines)
                return
            lines.append(sse_data(event))
        yield "".join(lines)
    yield "data: [DONE]\n\n"


def openai_stream_response(chunks: Iterator[dict[str, Any]]) -> StreamingHttpResponse:
    """OpenAI chat-completion chunks (each a dict with ``event: chunk``) as ``data:`` lines."""
    return _streaming_response(_openai_sse(chunks))
