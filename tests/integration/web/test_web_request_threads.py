"""The ASGI handler: a request's sync code runs on a reused thread, never shared at once."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from asgiref.sync import AsyncToSync
from django.core.signals import request_started

from webapp.config.request_threads import ReusedThreadsASGIHandler

pytestmark = pytest.mark.django_db


def _scope(path: str = "/login/") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }


async def _get(handler: ReusedThreadsASGIHandler) -> int:
    """One GET through the handler; its status code."""
    sent: list[dict[str, Any]] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await handler(_scope(), receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.fixture
def started_on() -> Any:
    """(name, id) of the threads that ran request_started (sync receivers run on the request's)."""
    names: list[tuple[str, int]] = []
    gate: dict[str, Any] = {}

    def record(**_: Any) -> None:
        names.append((threading.current_thread().name, threading.get_ident()))
        if "hold" in gate:
            gate["hold"](len(names))

    request_started.connect(record, dispatch_uid="test-request-threads")
    yield names, gate
    request_started.disconnect(dispatch_uid="test-request-threads")


def test_one_request_after_another_reuses_the_same_thread(started_on: Any) -> None:
    names, _ = started_on
    handler = ReusedThreadsASGIHandler()

    async def two() -> list[int]:
        return [await _get(handler), await _get(handler)]

    assert asyncio.run(two()) == [200, 200]
    assert len(names) == 2
    assert names[0] == names[1]
    assert names[0][0].startswith("enclave-request")


def test_concurrent_requests_never_share_a_thread(started_on: Any) -> None:
    names, gate = started_on
    second_started = threading.Event()

    def hold(count: int) -> None:
        # The first request waits, on its thread, until the second one runs: had
        # they shared one thread, the second could not start and this would time out.
        if count == 1:
            assert second_started.wait(timeout=30)
        else:
            second_started.set()

    gate["hold"] = hold
    handler = ReusedThreadsASGIHandler()

    async def both() -> list[int]:
        return list(await asyncio.gather(_get(handler), _get(handler)))

    assert asyncio.run(both()) == [200, 200]
    assert len(set(names)) == 2


def test_every_middleware_is_sync_only_so_the_stack_is_one_thread_switch() -> None:
    # One async-capable middleware would make Django switch threads around each of
    # its hooks again (webapp/config/middleware.py).
    from django.conf import settings
    from django.utils.module_loading import import_string

    stack = [import_string(path) for path in settings.MIDDLEWARE]

    assert [m.__name__ for m in stack if getattr(m, "async_capable", False)] == []
    assert all(getattr(m, "sync_capable", True) for m in stack)
    assert len(stack) == 13  # the request id, the password gate and the request metrics included


def test_a_sync_view_runs_inside_the_chain_without_a_hop_onto_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Built for ASGI, the chain would reach the view through async_to_sync (onto the
    # loop) and sync_to_async (back to the request's thread).
    hops: list[str] = []
    original = AsyncToSync.__call__

    def counted(self: AsyncToSync, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(self.awaitable, "__qualname__", repr(self.awaitable)))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AsyncToSync, "__call__", counted)
    handler = ReusedThreadsASGIHandler()

    assert asyncio.run(_get(handler)) == 200
    assert hops == []
