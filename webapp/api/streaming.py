"""Streamed responses: the web UI's SSE bridge, and OpenAI's data-only wire format on top of it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.http import StreamingHttpResponse

from webapp.web.sse import sse_stream

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
    # OpenAI streams carry no event names: drop the bridge's "event:" line. Its own
    # failure event (the generator raised) becomes OpenAI's {"error": {...}} chunk.
    async for text in sse_stream(chunks):
        name, _, data = text.partition("\n")
        if name == f"event: {OPENAI_CHUNK_EVENT}":
            yield data
        else:
            failure = json.loads(data.removeprefix("data: "))
            error = {"message": failure.get("message", ""), "type": "enclave_error", **failure}
            yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
            return
    yield "data: [DONE]\n\n"


def openai_stream_response(chunks: Iterator[dict[str, Any]]) -> StreamingHttpResponse:
    """OpenAI chat-completion chunks (each a dict with ``event: chunk``) as ``data:`` lines."""
    return _streaming_response(_openai_sse(chunks))
