"""Server-sent events: the synchronous answer generator, bridged to an async response body.

Each answer runs on one pool thread from its first event to its last, and hands its
events to the event loop through a queue. The response body takes whatever has
arrived since its last write, so a model that streams faster than the client reads
(an instant stand-in, a burst of buffered tokens) costs one write per burst instead
of one write and two thread switches per token, and nothing waits on a timer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from django.db import close_old_connections

from webapp.core.errors import EnclaveError, ErrorCode

__all__ = ["event_batches", "sse_data", "sse_encode", "sse_stream"]

logger = logging.getLogger(__name__)

# An answer blocks its thread while the model server writes the next tokens, so each
# open stream holds a thread. The event loop's default pool (cores + 4 threads) would
# let only a handful of the open answers move at once and queue the rest, first token
# included; this pool lets every open stream move.
ANSWER_THREADS = 128
_answer_pool = ThreadPoolExecutor(max_workers=ANSWER_THREADS, thread_name_prefix="enclave-answer")

UNAVAILABLE_EVENT = {
    "event": "error",
    "code": str(ErrorCode.UNAVAILABLE),
    "message": "The answer could not be completed. Please try again.",
}


def sse_data(event: dict[str, Any]) -> str:
    """The event's fields but its name as one JSON ``data:`` line, ending the block."""
    body = {key: value for key, value in event.items() if key != "event"}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def sse_encode(event: dict[str, Any]) -> str:
    """One event as ``event: <name>`` and a JSON ``data:`` line (the name is not repeated)."""
    return f"event: {event['event']}\n{sse_data(event)}"


class _Relay:
    """Runs a sync event generator on a pool thread and queues its events for the loop.

    The loop is woken only when its reader waits on an empty queue, so a burst of
    events costs one wake-up. ``cancelled`` (set when the reader left) makes the
    thread close the generator after its current event: the answer's upstream HTTP stream is then
    closed and the model server stops generating for a reader who left.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._events: deque[dict[str, Any]] = deque()
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None
        self.cancelled = False

    def run(self, events: Iterator[dict[str, Any]]) -> None:
        """Drain ``events`` into the queue; failures become one final error event."""
        try:
            for event in events:
                self._put(event)
                if self.cancelled:
                    break
        except EnclaveError as exc:
            self._put({"event": "error", **exc.as_dict()})
        except Exception:
            # The response has started; the client can only learn of a failure as an event.
            logger.exception("answer stream failed")
            self._put(dict(UNAVAILABLE_EVENT))
        finally:
            with suppress(Exception):
                getattr(events, "close", lambda: None)()
            close_old_connections()
            self._put(None)

    def _put(self, event: dict[str, Any] | None) -> None:
        with self._lock:
            if event is None:
                self._ended = True
            else:
                self._events.append(event)
            waiter, self._waiter = self._waiter, None
        # A reader who left waits for nothing (and its loop may be closing).
        if waiter is not None and not self.cancelled:
            self._loop.call_soon_threadsafe(_wake, waiter)

    async def take(self) -> tuple[list[dict[str, Any]], bool]:
        """The events queued so far (waiting for at least one), and whether the stream ended."""
        while True:
            with self._lock:
                if self._events or self._ended:
                    batch = list(self._events)
                    self._events.clear()
                    return batch, self._ended
                waiter = self._waiter = self._loop.create_future()
            await waiter


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def event_batches(events: Iterator[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    """The events of ``events`` in arrival bursts, the generator running off the event loop.

    A failure inside the generator ends the stream with one ``error`` event: its own
    code and message for an ``EnclaveError``, a generic one (no details) otherwise.
    """
    relay = _Relay(asyncio.get_running_loop())
    running = asyncio.get_running_loop().run_in_executor(_answer_pool, relay.run, events)
    try:
        ended = False
        while not ended:
            batch, ended = await relay.take()
            if batch:
                yield batch
        await running
    finally:
        relay.cancelled = True


async def sse_stream(events: Iterator[dict[str, Any]]) -> AsyncIterator[str]:
    """Yield the events of ``events`` as SSE text, one write per burst of events."""
    async for batch in event_batches(events):
        yield "".join(sse_encode(event) for event in batch)
