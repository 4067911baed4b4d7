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
from typing import Any, Generic, TypeVar

from django.db import close_old_connections

from webapp.chat.events import AnswerEvent, ErrorEvent, event_data
from webapp.chat.wording import error_event
from webapp.core.errors import EnclaveError, ErrorCode

__all__ = ["event_batches", "sse_data", "sse_encode", "sse_stream"]

logger = logging.getLogger(__name__)

# An answer blocks its thread while the model server writes the next tokens, so each
# open stream holds a thread. The event loop's default pool (cores + 4 threads) would
# let only a handful of the open answers move at once and queue the rest, first token
# included; this pool lets every open stream move.
ANSWER_THREADS = 128


def _new_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=ANSWER_THREADS, thread_name_prefix="enclave-answer")


_answer_pool = _new_pool()


def _live_pool() -> ThreadPoolExecutor:
    """The answer pool, made again when every one of its threads has died.

    A pool counts its idle threads and starts no new one while it believes some
    wait; if they are gone, a submitted answer waits for ever. Seen once in the test
    process after about 800 tests (no answer thread left, the stream hung); cheap to
    check, so checked at every answer.
    """
    global _answer_pool
    threads = list(_answer_pool._threads)  # noqa: SLF001 (no public view of the threads)
    if threads and not any(thread.is_alive() for thread in threads):
        logger.warning("answer threads had all stopped; starting a new pool")
        _answer_pool = _new_pool()
    return _answer_pool


T = TypeVar("T")


def sse_data(body: dict[str, Any]) -> str:
    """``body`` as one JSON ``data:`` line, ending the block."""
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def sse_encode(event: AnswerEvent) -> str:
    """One event as ``event: <name>`` and its JSON ``data:`` line."""
    return f"event: {event.name}\n{sse_data(event_data(event))}"


class _Relay(Generic[T]):
    """Runs a sync event generator on a pool thread and queues its events for the loop.

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
            close_old_connections()
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
            await waiter


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
    running = asyncio.get_running_loop().run_in_executor(_live_pool(), relay.run, events)
    try:
        ended = False
        while not ended:
            batch, ended = await relay.take()
            if batch:
                yield batch
        await running
    finally:
        relay.cancelled = True


async def sse_stream(events: Iterator[AnswerEvent], *, language: str = "en") -> AsyncIterator[str]:
    """Yield the events of ``events`` as SSE text, one write per burst of events."""
    async for batch in event_batches(events, language=language):
        yield "".join(sse_encode(event) for event in batch)
