"""Polling with a deadline: tests wait for a condition, never for a length of time."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], object], *, timeout_s: float = 15.0) -> bool:
    """Poll ``predicate`` until true or ``timeout_s`` passes (a no-hang bound, not a timing)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
