"""Token counts from the served model's own tokenizer (``POST /tokenize``).

Two dialects of the same endpoint exist: vLLM reads ``{"model", "prompt"}`` and
answers ``{"count", "tokens", "max_model_len"}``; llama.cpp's ``llama-server`` reads
``{"content"}`` and answers ``{"tokens"}`` only (and ``{"tokens": []}`` to a body
without ``content``; vLLM refuses one without ``prompt``). The counter asks in the
dialect that worked last, tries the other when that one gets no count, and sends
each server only the fields it knows (vLLM logs every field it ignores). It falls
back to the local estimate when the server has no such endpoint (TGI, Ollama) or
cannot be reached, and asks again only after a pause, so a missing endpoint costs
two requests per pause, not one per question.
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

# The /tokenize request body of each server, without special tokens (BOS) in the count:
# the chat template adds those once, and TEMPLATE_RESERVE_TOKENS keeps room for them.
_DIALECTS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "vllm": lambda model, text: {"model": model, "prompt": text, "add_special_tokens": False},
    "llama.cpp": lambda model, text: {"content": text, "add_special": False},
}


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
        self._dialect = "vllm"
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
        with self._lock:
            first = self._dialect
        for dialect in (first, *(d for d in _DIALECTS if d != first)):
            reply = self._cluster.request_json(
                "POST", "/tokenize", _DIALECTS[dialect](self._model, text)
            )
            count = _count_from(reply)
            if count is not None and not (count == 0 and text.strip()):
                with self._lock:
                    self._dialect = dialect
                return count
        logger.info(
            "no /tokenize on the %s servers; estimating tokens for %ss",
            self._model,
            self._retry_after_s,
        )
        with self._lock:
            self._tokenize_paused_until = self._clock() + self._retry_after_s
        return None

    def served_context_tokens(self) -> int | None:
        """The context the server gives this model (``GET /v1/models``), if it says."""
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
    """vLLM's ``max_model_len``, or llama.cpp's ``meta.n_ctx`` (one slot's context)."""
    if not isinstance(reply, dict) or not isinstance(reply.get("data"), list):
        return None
    for entry in reply["data"]:
        if isinstance(entry, dict) and entry.get("id") == model:
            meta = entry.get("meta")
            value = entry.get("max_model_len")
            if value is None and isinstance(meta, dict):
                value = meta.get("n_ctx")
            return value if isinstance(value, int) and value > 0 else None
    return None
