"""Server-sent events: the synchronous answer generator, bridged to an async response body.

Each answer runs on a thread of its own from its first event to its last, and hands its
events to the event loop through a queue. The response body takes whatever has
arrived since its last write, so a model that streams faster than the client reads
(an instant stand-in, a burst of buffered tokens) costs one write per burst instead
of one write and two thread switches per token, and nothing polls (a timer only
looks at the queue again after seconds without an event).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from typing import Any, Generic, TypeVar

from webapp.chat.events import AnswerEvent, ErrorEvent, event_data
from webapp.chat.wording import error_event
from webapp.core.errors import EnclaveError, ErrorCode
from webapp.core.sqlite.pool import close_thread_connections

__all__ = ["event_batches", "sse_data", "sse_encode", "sse_stream"]

logger = logging.getLogger(__name__)

# An answer blocks its thread while the model server writes the next tokens, so each
# open stream holds a thread: a thread of its own, started for the stream and ended
# with it. Starting one costs tens of microseconds, nothing next to an answer; a
# shared pool would add its own bookkeeping between a stream and its thread (the full
# test suite once left a stream queued on a pool whose only thread waited on another
# queue, and the answer never started).
ANSWER_THREAD_NAME = "enclave-answer"

# Seconds after which a stream waiting for its next event looks at its queue again.
RECHECK_S = 5.0


T = TypeVar("T")


def sse_data(body: dict[str, Any]) -> str:
    """``body`` as one JSON ``data:`` line, ending the block."""
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def sse_encode(event: AnswerEvent) -> str:
    """One event as ``event: <name>`` and its JSON ``data:`` line."""
    return f"event: {event.name}\n{sse_data(event_data(event))}"


class _Relay(Generic[T]):
    """Runs a sync event generator on its own thread and queues its events for the loop.

    The loop is woken only when its reader waits on an empty queue, so a burst of
    events costs one wake-up. ``cancelled`` (set when the reader left) makes the
    thread close the generator after its current event: the answer's upstream HTTP stream is then
    closed and the model server stops generating for a reader who left.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, language: str) -> None:
        self._loop = loop
        self._language = language
        self._lock = threading.Lock()
        self._events: deque[T | ErrorEvent] = deque()
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None
        self.cancelled = False

    def run(self, events: Iterator[T]) -> None:
        """Drain ``events`` into the queue; failures become one final error event."""
        try:
            for event in events:
                self._put(event)
                if self.cancelled:
                    break
        except EnclaveError as exc:
            self._put(ErrorEvent(code=str(exc.code), message=exc.message))
        except Exception:
            # The response has started; the client can only learn of a failure as an event.
            logger.exception("answer stream failed")
            self._put(error_event(str(ErrorCode.UNAVAILABLE), self._language))
        finally:
            with suppress(Exception):
                getattr(events, "close", lambda: None)()
            # This thread's own; it ends here and the next answer's thread reuses them.
            close_thread_connections()
            self._put(None)

    def _put(self, event: T | ErrorEvent | None) -> None:
        with self._lock:
            if event is None:
                self._ended = True
            else:
                self._events.append(event)
            waiter, self._waiter = self._waiter, None
        # A reader who left waits for nothing (and its loop may be closing).
        if waiter is not None and not self.cancelled:
            self._loop.call_soon_threadsafe(_wake, waiter)

    async def take(self) -> tuple[list[T | ErrorEvent], bool]:
        """The events queued so far (waiting for at least one), and whether the stream ended."""
        while True:
            with self._lock:
                if self._events or self._ended:
                    batch = list(self._events)
                    self._events.clear()
                    return batch, self._ended
                waiter = self._waiter = self._loop.create_future()
            # The thread wakes the waiter; the timer only re-checks the queue, so a wake-up
            # that never came (none has been seen since streams have their own threads)
            # delays an answer by seconds instead of holding it for ever.
            recheck = self._loop.call_later(RECHECK_S, _wake, waiter)
            try:
                await waiter
            finally:
                recheck.cancel()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def event_batches(
    events: Iterator[T], *, language: str = "en"
) -> AsyncIterator[list[T | ErrorEvent]]:
    """The events of ``events`` in arrival bursts, the generator running off the event loop.

    A failure inside the generator ends the stream with one ``ErrorEvent``: its own
    code and message for an ``EnclaveError``, a generic one in ``language`` (no
    details) otherwise.
    """
    relay: _Relay[T] = _Relay(asyncio.get_running_loop(), language)
    # The thread runs in a copy of the request's context: its log lines and model calls
    # carry the request's id (webapp/config/logs.py), as the request's own code does.
    context = contextvars.copy_context()
    threading.Thread(
        target=context.run, args=(relay.run, events), name=ANSWER_THREAD_NAME, daemon=True
    ).start()
    try:
        ended = False
        while not ended:
            batch, ended = await relay.take()
            if batch:
                yield batch
    finally:
        relay.cancelled = True


async def sse_stream(events: Iterator[AnswerEvent], *, language: str = "en") -> AsyncIterator[str]:
    """Yield the events of ``events`` as SSE text, one write per burst of events."""
    async for batch in event_batches(events, language=language):
        yield "".join(sse_encode(event) for event in batch)
