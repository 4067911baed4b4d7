"""Server-sent events: the synchronous answer generator, bridged to an async response body."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from webapp.core.errors import EnclaveError, ErrorCode

__all__ = ["sse_encode", "sse_stream"]

logger = logging.getLogger(__name__)

_END = object()


def sse_encode(event: dict[str, Any]) -> str:
    """One event as ``event: <name>`` and a JSON ``data:`` line (the name is not repeated)."""
    body = {key: value for key, value in event.items() if key != "event"}
    return f"event: {event['event']}\ndata: {json.dumps(body, ensure_ascii=False)}\n\n"


def _next_event(events: Iterator[dict[str, Any]]) -> Any:
    try:
        return next(events, _END)
    finally:
        # Each step may run on a different pool thread; do not leave its connection behind.
        close_old_connections()


def _close(events: Iterator[dict[str, Any]]) -> None:
    # A step still running on its thread after a disconnect refuses close(); it ends by itself.
    with suppress(ValueError):
        getattr(events, "close", lambda: None)()
    close_old_connections()


async def sse_stream(events: Iterator[dict[str, Any]]) -> AsyncIterator[str]:
    """Yield each event of ``events`` as SSE text, running every step off the event loop."""
    step = sync_to_async(_next_event, thread_sensitive=False)
    try:
        while True:
            try:
                event = await step(events)
            except EnclaveError as exc:
                yield sse_encode({"event": "error", **exc.as_dict()})
                return
            except Exception:
                # The response has started; the client can only learn of a failure as an event.
                logger.exception("answer stream failed")
                yield sse_encode(
                    {
                        "event": "error",
                        "code": str(ErrorCode.UNAVAILABLE),
                        "message": "The answer could not be completed. Please try again.",
                    }
                )
                return
            if event is _END:
                return
            yield sse_encode(event)
    finally:
        await sync_to_async(_close, thread_sensitive=False)(events)
