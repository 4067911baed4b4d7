"""Per-token rate limit: a sliding one-minute window, answered with 429 and Retry-After.

The counts live in Django's cache, which is per process by default: with
several web processes each enforces the limit on its own share of requests.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from webapp.accounts.models import ApiToken

__all__ = ["TokenRateThrottle"]

WINDOW_S = 60


class TokenRateThrottle(BaseThrottle):
    """At most ``token.rate_limit_per_minute`` requests in any 60 seconds."""

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        key = f"enclave-api-rate-{token.id}"
        now = time.monotonic()
        history = [t for t in cache.get(key, []) if t > now - WINDOW_S]
        if len(history) >= token.rate_limit_per_minute:
            self._wait = history[0] + WINDOW_S - now
            return False
        history.append(now)
        cache.set(key, history, WINDOW_S)
        return True

    def wait(self) -> float:
        return max(1.0, self._wait)
