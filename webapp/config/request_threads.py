"""Django's ASGI handler, with each request's synchronous code on a reused thread.

Django runs a request's synchronous parts (the middleware chain, sync views) on a
thread of the request's own: stock, a new thread per request, joined through
another thread switch when the request ends, and, on SQLite, a new database
connection for the session lookup (connections belong to threads). Here the
threads stay: a request borrows an idle single-thread executor and gives it back
when it ends, so its thread, and the database connection on it, serve the next
request. One request at a time per executor, as Django's own per-request thread.

The middleware chain is built as under WSGI, around Django's synchronous
``_get_response``, and entered once from the event loop. Built for ASGI, its
innermost step is the async ``_get_response_async``: a sync chain reaches it
through ``async_to_sync`` (a hop onto the event loop) and it calls a sync view
through ``sync_to_async`` (a hop back to the request's thread), two trips through
a loop that is also writing every open answer stream. Here a sync view runs
right where the middleware runs; an async view is still run by Django's own
``async_to_sync`` in ``_get_response``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

__all__ = ["ReusedThreadsASGIHandler"]

# Idle executors beyond this many are shut down (a burst of requests has passed).
MAX_IDLE = 64


class _Executors:
    """Idle single-thread executors, lent to one request at a time."""

    def __init__(self, max_idle: int = MAX_IDLE) -> None:
        self._idle: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()
        self._max_idle = max_idle

    def borrow(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="enclave-request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)


class ReusedThreadsASGIHandler(ASGIHandler):
    """``ASGIHandler`` whose requests run their sync code on borrowed, long-lived threads."""

    def __init__(self) -> None:
        super().__init__()
        self._executors = _Executors()

    def load_middleware(self, is_async: bool = False) -> None:
        """The chain as for WSGI (views called inside it), awaited once on the request's thread."""
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve one HTTP request, as Django does, on a borrowed thread."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self._executors.borrow()
        try:
            # handle() waits for every task it starts, as the context requires.
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self._executors.give_back(executor)
