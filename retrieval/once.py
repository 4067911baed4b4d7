"""A process-wide cache that builds each value once, with a lock per key.

Models take seconds to load and stores to open. With one lock around the whole
cache, a model loading for an index build would stall every search reading the
model already loaded; here a build only makes callers of the same key wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["KeyedOnce"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeyedOnce(Generic[K, V]):
    """``get(key, build)`` builds the value for ``key`` once; other keys never wait on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the two dicts only, never held while building
        self._values: dict[K, V] = {}
        self._building: dict[K, threading.Lock] = {}

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value for ``key``, built by ``build`` on first use."""
        with self._lock:
            if key in self._values:
                return self._values[key]
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:  # built while this caller waited
                    return self._values[key]
            value = build()  # a failure leaves the key unbuilt: the next caller retries
            with self._lock:
                self._values[key] = value
                self._building.pop(key, None)
            return value

    def peek(self, key: K) -> V | None:
        """The value for ``key`` if built, without building it."""
        with self._lock:
            return self._values.get(key)

    def pop(self, key: K) -> V | None:
        """Forget ``key``; returns its value if it was built."""
        with self._lock:
            return self._values.pop(key, None)

    def built(self) -> list[K]:
        """The keys built so far."""
        with self._lock:
            return list(self._values)

    def clear(self) -> list[V]:
        """Forget every value; returns them (to close them)."""
        with self._lock:
            values = list(self._values.values())
            self._values.clear()
            return values
