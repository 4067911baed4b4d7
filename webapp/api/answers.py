"""Answer events of ``conversation_ask`` translated into API bodies (REST and OpenAI shapes).

Everything here is plain dict work: no HTTP, no database writes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from webapp.api.streaming import OPENAI_CHUNK_EVENT
from webapp.core.errors import EnclaveError, NotFoundError, ServiceUnavailableError, ValidationError

__all__ = [
    "answer_collect",
    "assistant_model_ids",
    "openai_chunks",
    "openai_completion",
]

ASSISTANT_MODEL = "enclave"


def error_for(event: dict[str, Any]) -> EnclaveError:
    """An ``error`` event as the business error the edge renders."""
    if event["code"] == "invalid":
        return ValidationError(event["message"])
    if event["code"] == "not_found":
        return NotFoundError(event["message"])
    return ServiceUnavailableError(event["message"])


def answer_collect(events: Iterator[dict[str, Any]]) -> dict[str, Any]:
    """Run an answer to its end; the REST ``ask`` body. Raises on an ``error`` event."""
    sources: list[dict[str, Any]] = []
    for event in events:
        if event["event"] == "sources":
            sources = event["sources"]
        elif event["event"] == "error":
            raise error_for(event)
        elif event["event"] == "done":
            return {
                "conversation_id": event["conversation_id"],
                "message_id": event["message_id"],
                "answer": event["text"],
                "citations": [s for s in sources if s["number"] in event["citations"]],
                "sources": sources,
                "grounded": event["grounded"],
                "model": event["model"],
                "backend": event["backend"],
                "tokens_in": event.get("tokens_in") or 0,
                "tokens_out": event.get("tokens_out") or 0,
            }
    raise ServiceUnavailableError("The answer ended without a result.")


def assistant_model_ids(collection_names: list[str]) -> list[str]:
    """``enclave`` (every readable collection) and ``enclave:<name>`` per collection."""
    return [ASSISTANT_MODEL, *(f"{ASSISTANT_MODEL}:{name}" for name in collection_names)]


def enclave_extra(done: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The documented ``enclave`` field of a completion: the citations behind each [n]."""
    return {
        "conversation_id": done["conversation_id"],
        "message_id": done["message_id"],
        "citations": [s for s in sources if s["number"] in done["citations"]],
        "sources": sources,
        "grounded": done["grounded"],
        "backend": done["backend"],
    }


def usage_of(done: dict[str, Any]) -> dict[str, int]:
    """OpenAI ``usage`` from a ``done`` event (zero for the extractive backend)."""
    tokens_in, tokens_out = done.get("tokens_in") or 0, done.get("tokens_out") or 0
    return {
        "prompt_tokens": tokens_in,
        "completion_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }


def openai_completion(*, body: dict[str, Any], model: str) -> dict[str, Any]:
    """A finished REST ``ask`` body as an OpenAI ``chat.completion``."""
    done = {
        "conversation_id": body["conversation_id"],
        "message_id": body["message_id"],
        "citations": [s["number"] for s in body["citations"]],
        "grounded": body["grounded"],
        "backend": body["backend"],
    }
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": body["answer"]},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage_of(body),
        "enclave": enclave_extra(done, body["sources"]),
    }


def openai_chunks(
    events: Iterator[dict[str, Any]], *, model: str, include_usage: bool = False
) -> Iterator[dict[str, Any]]:
    """Answer events as OpenAI ``chat.completion.chunk`` dicts (for ``openai_stream_response``)."""
    base = {
        "event": OPENAI_CHUNK_EVENT,
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**base, "choices": [choice], **extra}

    sources: list[dict[str, Any]] = []
    yield chunk({"role": "assistant", "content": ""})
    for event in events:
        if event["event"] == "sources":
            sources = event["sources"]
        elif event["event"] == "delta":
            yield chunk({"content": event["text"]})
        elif event["event"] == "error":
            error = {"message": event["message"], "type": "enclave_error", "code": event["code"]}
            yield {"event": "error", **error}
            return
        elif event["event"] == "done":
            yield chunk({}, "stop", enclave=enclave_extra(event, sources))
            if include_usage:
                yield {**base, "choices": [], "usage": usage_of(event)}
            return
