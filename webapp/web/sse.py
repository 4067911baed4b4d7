"""Server-sent events: the synchronous answer generator, bridged to an async response body."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from webapp.core.errors import EnclaveError, ErrorCode

__all__ = ["sse_encode", "sse_stream"]

logger = logging.getLogger(__name__)

_END = object()

# An answer step blocks its thread while the model server writes the next tokens, so
# each open stream holds a thread. The event loop's default pool (cores + 4 threads)
# would let only a handful of the open answers move at once and queue the rest,
# first token included; this pool lets every open stream move.
ANSWER_THREADS = 128
_answer_pool = ThreadPoolExecutor(max_workers=ANSWER_THREADS, thread_name_prefix="enclave-answer")


def sse_encode(event: dict[str, Any]) -> str:
    """One event as ``event: <name>`` and a JSON ``data:`` line (the name is not repeated)."""
    body = {key: value for key, value in event.items() if key != "event"}
    return f"event: {event['event']}\ndata: {json.dumps(body, ensure_ascii=False)}\n\n"


class _Pump:
    """Steps a sync generator on pool threads; closing it works even mid-step.

    ``close()`` from the event loop fails while a step runs on its thread (a generator
    cannot be closed while it executes), so the flag makes that step close the
    generator itself as soon as it returns: the answer's upstream HTTP stream is
    then closed and the model server stops generating for a reader who left.
    """

    def __init__(self, events: Iterator[dict[str, Any]]) -> None:
        self.events = events
        self.cancelled = False

    def step(self) -> Any:
        try:
            event = next(self.events, _END)
            if self.cancelled:
                self.close()
            return event
        finally:
            # Each step may run on a different pool thread; do not leave its connection behind.
            close_old_connections()

    def close(self) -> None:
        self.cancelled = True
        with suppress(ValueError):  # "generator already executing": that step closes it
            getattr(self.events, "close", lambda: None)()
        close_old_connections()


async def sse_stream(events: Iterator[dict[str, Any]]) -> AsyncIterator[str]:
    """Yield each event of ``events`` as SSE text, running every step off the event loop."""
    pump = _Pump(events)
    step = sync_to_async(pump.step, thread_sensitive=False, executor=_answer_pool)
    try:
        while True:
            try:
                event = await step()
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
        pump.cancelled = True
        await sync_to_async(pump.close, thread_sensitive=False, executor=_answer_pool)()
