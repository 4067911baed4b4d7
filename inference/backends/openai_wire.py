"""One streamed chat completion against one OpenAI-compatible server (vLLM, llama.cpp)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from inference.config import Endpoint
from inference.errors import ContextOverflowError, UpstreamError

logger = logging.getLogger(__name__)

# Statuses that say "this replica cannot serve now": try another one.
_REPLICA_STATUSES = frozenset({401, 403, 404, 408, 429})
_OVERFLOW_HINTS = (
    "maximum context length",
    "max_model_len",
    "context length",
    "exceed_context_size",
    "exceeds the available context size",
    "too many tokens",
)

# Greedy, unpenalised decoding unless the payload says otherwise. Both servers may take
# other defaults from the model itself (a GGUF's general.sampling.*, vLLM's
# generation_config.json), and a repetition penalty breaks answers that must repeat
# citation markers: on llama.cpp it turned a correct [2] into [3]. vLLM reads
# repetition_penalty, llama.cpp's server repeat_penalty; each ignores the other's name
# (vLLM logs it as an ignored field).
SAMPLING_DEFAULTS: dict[str, Any] = {
    "temperature": 0.0,
    "repetition_penalty": 1.0,
    "repeat_penalty": 1.0,
}


class ReplicaFailure(Exception):
    """A failure of one replica (network, timeout, 5xx); the cluster may retry elsewhere."""


class ConnectionDropped(ReplicaFailure):
    """The connection closed before any response: most often a pooled keep-alive
    connection the server had just closed, so one retry on the same replica is safe."""


@dataclass
class CompletionUsage:
    """What the stream said about itself: serving model, token counts, whether it finished."""

    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    finished: bool = False


def _error_message(response: httpx.Response) -> str:
    """Extract the message of an OpenAI/vLLM error body (``{"error": {...}}`` or flat)."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:300]
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return error[:300]
    return str(body)[:300]


def _raise_for_status(response: httpx.Response, endpoint: Endpoint) -> None:
    if response.status_code < 400:
        return
    response.read()
    message = _error_message(response)
    status = response.status_code
    if status >= 500 or status in _REPLICA_STATUSES:
        raise ReplicaFailure(f"HTTP {status} from {endpoint.base_url}: {message}")
    if any(hint in message.lower() for hint in _OVERFLOW_HINTS):
        raise ContextOverflowError(
            f"The question and passages do not fit in the model's context window: {message}"
        )
    raise UpstreamError(f"The model server rejected the request (HTTP {status}): {message}")


def _sse_data(lines: Iterator[str]) -> Iterator[str]:
    """Yield the payload of each ``data:`` line of a server-sent event stream."""
    for line in lines:
        if line.startswith("data:"):
            yield line[5:].strip()


def _read_chunk(data: str, usage: CompletionUsage) -> str:
    """Update ``usage`` from one completion chunk and return its content text."""
    try:
        chunk: Any = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ReplicaFailure(f"malformed stream chunk: {data[:80]!r}") from exc
    if not isinstance(chunk, dict):
        raise ReplicaFailure("malformed stream chunk (not an object)")
    if chunk.get("error"):
        error = chunk["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise ReplicaFailure(f"error inside stream: {str(message)[:200]}")
    usage.model = chunk.get("model") or usage.model
    if isinstance(chunk.get("usage"), dict):
        usage.tokens_in = chunk["usage"].get("prompt_tokens", usage.tokens_in)
        usage.tokens_out = chunk["usage"].get("completion_tokens", usage.tokens_out)
    text = ""
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") or {}
        text += delta.get("content") or ""
        if choice.get("finish_reason"):
            usage.finished = True
    return text


def stream_completion(
    client: httpx.Client,
    endpoint: Endpoint,
    payload: dict[str, Any],
    *,
    first_token_deadline: float,
    total_deadline: float,
    clock: Callable[[], float],
    extra_headers: Mapping[str, str] | None = None,
) -> Generator[str, None, CompletionUsage]:
    """Stream one completion; raise ReplicaFailure for failures another replica may not have.

    ``extra_headers`` are added to the request (the caller's ``X-Request-ID``).
    """
    headers = {**(extra_headers or {}), "Accept": "text/event-stream"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    body = {**SAMPLING_DEFAULTS, **payload, "model": endpoint.model, "stream": True}
    usage = CompletionUsage()
    started = responded = False
    try:
        with client.stream(
            "POST", f"{endpoint.base_url}/chat/completions", json=body, headers=headers
        ) as response:
            responded = True
            _raise_for_status(response, endpoint)
            lines = response.iter_lines()
            for data in _sse_data(lines):
                if data == "[DONE]":
                    # Read to the body's end (nothing follows [DONE]), so the connection
                    # goes back to the pool instead of being closed mid-response.
                    for _ in lines:
                        pass
                    return usage
                text = _read_chunk(data, usage)
                now = clock()
                if not started and now > first_token_deadline:
                    raise ReplicaFailure("no first token before the first-token timeout")
                if now > total_deadline:
                    raise ReplicaFailure("the answer took longer than the request timeout")
                if text:
                    started = True
                    yield text
    except httpx.TimeoutException as exc:
        raise ReplicaFailure(f"timed out talking to {endpoint.base_url}: {exc!r}") from exc
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        if responded:
            raise ReplicaFailure(f"connection to {endpoint.base_url} failed: {exc!r}") from exc
        raise ConnectionDropped(
            f"{endpoint.base_url} closed the connection without answering: {exc!r}"
        ) from exc
    except httpx.HTTPError as exc:
        raise ReplicaFailure(f"connection to {endpoint.base_url} failed: {exc!r}") from exc
    if not usage.finished:
        raise ReplicaFailure(f"stream from {endpoint.base_url} ended before the answer finished")
    return usage
