"""Token counts from the served model's own tokenizer (vLLM ``POST /tokenize``).

Falls back to the local estimate when the server has no such endpoint (TGI, Ollama)
or cannot be reached, and asks again only after a pause, so a missing endpoint costs
one request per pause, not one per question.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from inference.budget import estimate_tokens
from inference.cluster import Cluster

__all__ = ["ServedTokenCounter"]

logger = logging.getLogger(__name__)


class ServedTokenCounter:
    """A ``TokenCounter`` for one served model, with an LRU cache of exact counts."""

    def __init__(
        self,
        cluster: Cluster,
        model: str,
        *,
        cache_size: int = 4096,
        retry_after_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cluster = cluster
        self._model = model
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._cache_size = cache_size
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._tokenize_paused_until = 0.0
        self._context: int | None = None
        self._context_checked_at: float | None = None
        self.remote_counts = 0
        self.estimates = 0

    def __call__(self, text: str) -> int:
        """Exact count from the server when it can tell, else the conservative estimate."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
            paused = self._clock() < self._tokenize_paused_until
        count = None if paused else self._remote_count(text)
        if count is None:
            self.estimates += 1
            return estimate_tokens(text)
        with self._lock:
            self.remote_counts += 1
            self._cache[text] = count
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return count

    def _remote_count(self, text: str) -> int | None:
        # vLLM reads "prompt", llama.cpp's llama-server reads "content"; each ignores the other.
        body = {"model": self._model, "prompt": text, "content": text, "add_special_tokens": False}
        reply = self._cluster.request_json("POST", "/tokenize", body)
        count = _count_from(reply)
        if count == 0 and text.strip():
            count = None  # a server that read neither field: do not trust it
        if count is None:
            logger.info(
                "no /tokenize on the %s servers; estimating tokens for %ss",
                self._model,
                self._retry_after_s,
            )
            with self._lock:
                self._tokenize_paused_until = self._clock() + self._retry_after_s
        return count

    def served_context_tokens(self) -> int | None:
        """The server's ``max_model_len`` for this model (vLLM ``/v1/models``), if it says."""
        with self._lock:
            checked = self._context_checked_at
            if checked is not None and (
                self._context is not None or self._clock() < checked + self._retry_after_s
            ):
                return self._context
        reply = self._cluster.request_json("GET", "/v1/models")
        context = _max_model_len(reply, self._model)
        with self._lock:
            self._context, self._context_checked_at = context, self._clock()
        if context is not None:
            logger.info("model %s serves max_model_len=%s", self._model, context)
        return context


def _count_from(reply: Any) -> int | None:
    if not isinstance(reply, dict):
        return None
    if isinstance(reply.get("count"), int):
        return reply["count"]
    if isinstance(reply.get("tokens"), list):  # llama.cpp's /tokenize has no count
        return len(reply["tokens"])
    return None


def _max_model_len(reply: Any, model: str) -> int | None:
    if not isinstance(reply, dict) or not isinstance(reply.get("data"), list):
        return None
    for entry in reply["data"]:
        if isinstance(entry, dict) and entry.get("id") == model:
            value = entry.get("max_model_len")
            return value if isinstance(value, int) and value > 0 else None
    return None
