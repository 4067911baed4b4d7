"""Several OpenAI-compatible replicas: least-outstanding routing, cool-off, failover.

Two ways a replica leaves the rotation: passively, when a chat request to it fails
(rested for the cool-off, then tried again), and actively, when the periodic health
check finds it unreachable, unhealthy (``GET /health``) or not serving its model
(``GET /v1/models``); it comes back at the first check that finds it well.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from inference.backends.openai_wire import (
    CompletionUsage,
    ConnectionDropped,
    ReplicaFailure,
    stream_completion,
)
from inference.config import Endpoint, InferenceConfig, RequestHeaders
from inference.errors import ModelUnavailableError, UpstreamError
from inference.models import StreamStats

logger = logging.getLogger(__name__)
# Idle keep-alive connections to the model servers, all replicas together.
KEPT_CONNECTIONS = 256


class Replica:
    """One endpoint with its live routing state (guarded by the cluster's lock)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.outstanding = 0
        self.dispatched = 0
        self.down_until = 0.0
        self.last_error = ""
        # Set by a failed health check; only a passing one clears it.
        self.probe_error = ""

    def is_up(self, now: float) -> bool:
        """True unless the replica failed its health check or is cooling off after a failure."""
        return not self.probe_error and now >= self.down_until

    def load(self) -> tuple[float, float]:
        """Routing key: outstanding requests, then requests ever sent, both per weight."""
        weight = self.endpoint.weight
        return (self.outstanding / weight, self.dispatched / weight)


@dataclass(frozen=True)
class ReplicaStatus:
    """A snapshot of one replica for health pages and metrics."""

    base_url: str
    model: str
    weight: int
    up: bool
    outstanding: int
    last_error: str


class Cluster:
    """Routes streamed chat completions over replicas and fails over before the first token."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        connect_timeout_s: float = 3.0,
        first_token_timeout_s: float = 20.0,
        request_timeout_s: float = 60.0,
        cooloff_s: float = 10.0,
        health_interval_s: float = 0.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        request_headers: RequestHeaders | None = None,
    ) -> None:
        """``health_interval_s`` > 0 starts a thread checking every replica that often.

        ``request_headers`` is called at each chat or tokenize request for headers to
        add (the caller's request id); health checks send none.
        """
        if not endpoints:
            raise ValueError("a cluster needs at least one endpoint")
        self.replicas = tuple(Replica(endpoint) for endpoint in endpoints)
        self._first_token_timeout_s = first_token_timeout_s
        self._request_timeout_s = request_timeout_s
        self._cooloff_s = cooloff_s
        self._clock = clock
        self._request_headers = request_headers
        self._lock = threading.Lock()
        timeout = httpx.Timeout(
            connect=connect_timeout_s,
            read=first_token_timeout_s,
            write=request_timeout_s,
            pool=connect_timeout_s,
        )
        self._aux_timeout = httpx.Timeout(connect_timeout_s, read=connect_timeout_s)
        # Every answer streaming at once holds a connection: no cap that would make one
        # wait for a slot, and all of them kept for the next answers (httpx keeps 20).
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=KEPT_CONNECTIONS)
        self._client = httpx.Client(
            timeout=timeout, limits=limits, transport=transport, trust_env=False
        )
        self._stop = threading.Event()
        self._checker: threading.Thread | None = None
        if health_interval_s > 0:
            self._checker = threading.Thread(
                target=self._check_every,
                args=(health_interval_s,),
                name="enclave-llm-health",
                daemon=True,
            )
            self._checker.start()

    @classmethod
    def from_config(
        cls, config: InferenceConfig, *, endpoints: Sequence[Endpoint] | None = None
    ) -> Cluster:
        """Build a cluster from the configuration's timeouts and endpoints (or ``endpoints``)."""
        return cls(
            config.endpoints if endpoints is None else endpoints,
            connect_timeout_s=config.connect_timeout_s,
            first_token_timeout_s=config.first_token_timeout_s,
            request_timeout_s=config.request_timeout_s,
            cooloff_s=config.replica_cooloff_s,
            health_interval_s=config.health_interval_s,
            request_headers=config.request_headers,
        )

    def status(self) -> list[ReplicaStatus]:
        """Return a snapshot of every replica."""
        now = self._clock()
        with self._lock:
            return [
                ReplicaStatus(
                    base_url=replica.endpoint.base_url,
                    model=replica.endpoint.model,
                    weight=replica.endpoint.weight,
                    up=replica.is_up(now),
                    outstanding=replica.outstanding,
                    last_error=replica.probe_error or replica.last_error,
                )
                for replica in self.replicas
            ]

    def close(self) -> None:
        """Stop the health checks and close pooled connections."""
        self._stop.set()
        if self._checker is not None:
            self._checker.join(timeout=10)
        self._client.close()

    def check_health(self) -> list[ReplicaStatus]:
        """Check every replica now; a failing one leaves the rotation until one passes."""
        for replica in self.replicas:
            problem = self._probe(replica.endpoint)
            with self._lock:
                if problem and not replica.probe_error:
                    logger.warning(
                        "llm replica %s failed its health check: %s",
                        replica.endpoint.base_url,
                        problem,
                    )
                elif not problem and replica.probe_error:
                    logger.info("llm replica %s is healthy again", replica.endpoint.base_url)
                replica.probe_error = problem
        return self.status()

    def _check_every(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.check_health()
            except Exception:  # the checker must outlive any surprise
                logger.exception("llm health check failed")

    def _probe(self, endpoint: Endpoint) -> str:
        """ "" when the replica is up and serves its model, else what is wrong."""
        root = endpoint.base_url.removesuffix("/v1")
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        try:
            health = self._client.get(f"{root}/health", headers=headers, timeout=self._aux_timeout)
            # llama.cpp, TGI and vLLM answer /health; a server without one (404) is judged
            # by its model list alone.
            if health.status_code != 404 and not health.is_success:
                return f"GET /health answered HTTP {health.status_code}"
            models = self._client.get(
                f"{endpoint.base_url}/models", headers=headers, timeout=self._aux_timeout
            )
        except httpx.HTTPError as exc:
            return f"unreachable: {exc!r}"
        if not models.is_success:
            return "" if health.is_success else f"GET /v1/models answered {models.status_code}"
        try:
            served = {str(m.get("id")) for m in models.json().get("data", [])}
        except (ValueError, AttributeError):
            return ""
        if served and endpoint.model not in served:
            return f"does not serve {endpoint.model} (serves {', '.join(sorted(served))})"
        return ""

    def request_json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """A small JSON request (``path`` from the server root) to the least busy up replica.

        Returns the decoded body, or None when no replica answers it with a 2xx; it never
        changes a replica's health (only chat streams do).
        """
        now = self._clock()
        with self._lock:
            candidates = sorted((r for r in self.replicas if r.is_up(now)), key=Replica.load)
        for replica in candidates:
            root = replica.endpoint.base_url.removesuffix("/v1")
            headers = self._extra_headers()
            if replica.endpoint.api_key:
                headers["Authorization"] = f"Bearer {replica.endpoint.api_key}"
            try:
                response = self._client.request(
                    method, f"{root}{path}", json=body, headers=headers, timeout=self._aux_timeout
                )
                if response.is_success:
                    return response.json()
                logger.debug("%s %s on %s: HTTP %s", method, path, root, response.status_code)
                return None  # the server answered: another replica of the same build would too
            except (httpx.HTTPError, ValueError) as exc:
                logger.debug("%s %s on %s failed: %r", method, path, root, exc)
        return None

    def _extra_headers(self) -> dict[str, str]:
        return dict(self._request_headers()) if self._request_headers is not None else {}

    def _acquire(self, tried: set[int]) -> Replica | None:
        now = self._clock()
        with self._lock:
            candidates = [
                replica
                for index, replica in enumerate(self.replicas)
                if index not in tried and replica.is_up(now)
            ]
            if not candidates:
                return None
            chosen = min(candidates, key=Replica.load)
            chosen.outstanding += 1
            chosen.dispatched += 1
            return chosen

    def _release(self, replica: Replica, failure: str | None) -> None:
        with self._lock:
            replica.outstanding -= 1
            if failure is not None:
                replica.down_until = self._clock() + self._cooloff_s
                replica.last_error = failure
            else:
                replica.last_error = ""

    def stream_chat(self, payload: dict[str, Any]) -> Generator[str, None, StreamStats]:
        """Stream one completion, retrying other replicas until the first token is sent."""
        start = self._clock()
        total_deadline = start + self._request_timeout_s
        tried: set[int] = set()
        redialled: set[int] = set()
        last_failure = "every replica is cooling off after a recent failure"
        while (replica := self._acquire(tried)) is not None:
            index = self.replicas.index(replica)
            tried.add(index)
            attempt = _Attempt(replica.endpoint, self._clock())
            failure: str | None = None
            try:
                usage = yield from attempt.run(
                    self._client,
                    payload,
                    headers=self._extra_headers(),
                    first_token_deadline=min(
                        attempt.start + self._first_token_timeout_s, total_deadline
                    ),
                    total_deadline=total_deadline,
                    clock=self._clock,
                )
            except ConnectionDropped as exc:
                if index in redialled:
                    failure = last_failure = str(exc)
                    attempt.log_failure(failure)
                    continue
                # Not the replica's fault (yet): dial it again, once, without ejecting it.
                logger.info("llm replica %s: %s; dialling again", replica.endpoint.base_url, exc)
                redialled.add(index)
                tried.discard(index)
                continue
            except ReplicaFailure as exc:
                failure = last_failure = str(exc)
                attempt.log_failure(failure)
                if attempt.tokens_sent:
                    raise UpstreamError(
                        "The language model stopped in the middle of the answer; "
                        "the answer above is incomplete."
                    ) from exc
                continue
            finally:
                self._release(replica, failure)
            return attempt.finish(usage)
        raise ModelUnavailableError(
            f"The language model is unavailable: all {len(self.replicas)} model server(s) "
            f"are down or did not answer in time (last error: {last_failure}). "
            "Please try again in a moment."
        )


class _Attempt:
    """One try against one replica, with its timing for logs."""

    def __init__(self, endpoint: Endpoint, start: float) -> None:
        self.endpoint = endpoint
        self.start = start
        self.tokens_sent = 0
        self.first_token_at: float | None = None
        self._clock: Callable[[], float] = time.monotonic

    def run(
        self,
        client: httpx.Client,
        payload: dict[str, Any],
        *,
        headers: dict[str, str],
        first_token_deadline: float,
        total_deadline: float,
        clock: Callable[[], float],
    ) -> Generator[str, None, CompletionUsage]:
        """Forward the replica's deltas, counting them."""
        self._clock = clock
        stream = stream_completion(
            client,
            self.endpoint,
            payload,
            extra_headers=headers,
            first_token_deadline=first_token_deadline,
            total_deadline=total_deadline,
            clock=clock,
        )
        try:
            while True:
                text = next(stream)
                if self.first_token_at is None:
                    self.first_token_at = clock()
                self.tokens_sent += 1
                yield text
        except StopIteration as stop:
            return stop.value
        finally:
            stream.close()

    def _ms(self, moment: float | None) -> float | None:
        return None if moment is None else round((moment - self.start) * 1000, 1)

    def log_failure(self, reason: str) -> None:
        """Log a failed attempt (no prompt or answer text)."""
        logger.warning(
            "llm replica %s failed after %s deltas in %s ms: %s",
            self.endpoint.base_url,
            self.tokens_sent,
            self._ms(self._clock()),
            reason,
        )

    def finish(self, usage: CompletionUsage) -> StreamStats:
        """Log the completed call and return its stats."""
        logger.info(
            "llm call ok: replica=%s model=%s first_token_ms=%s total_ms=%s tokens_in=%s "
            "tokens_out=%s",
            self.endpoint.base_url,
            self.endpoint.model,
            self._ms(self.first_token_at),
            self._ms(self._clock()),
            usage.tokens_in,
            usage.tokens_out,
        )
        return StreamStats(
            model=usage.model or self.endpoint.model,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
            replica=self.endpoint.base_url,
        )
