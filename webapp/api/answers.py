"""Answer events of ``conversation_ask`` translated into API bodies (REST and OpenAI shapes).

Everything here is plain data work: no HTTP, no database writes. The bodies carry the
answer text as it is stored (citations numbered by first use), the sources numbered
the same way, and what is metadata stays metadata: ``abstained``, ``notice``,
``sentences``.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

from webapp.chat.events import AnswerEvent, DeltaEvent, DoneEvent, ErrorEvent
from webapp.core.errors import EnclaveError, NotFoundError, ServiceUnavailableError, ValidationError

__all__ = [
    "answer_collect",
    "assistant_model_ids",
    "openai_chunks",
    "openai_completion",
]

ASSISTANT_MODEL = "enclave"


def error_for(event: ErrorEvent) -> EnclaveError:
    """An error event as the business error the edge renders."""
    if event.code in ("invalid", "unknown_model"):
        return ValidationError(event.message)
    if event.code == "not_found":
        return NotFoundError(event.message)
    return ServiceUnavailableError(event.message)


def _notice(done: DoneEvent) -> dict[str, str] | None:
    return dataclasses.asdict(done.notice) if done.notice is not None else None


def answer_body(done: DoneEvent) -> dict[str, Any]:
    """The REST ``ask`` body of a finished answer: the completion's ``enclave`` field and more."""
    return {
        "answer": done.text,
        **enclave_extra(done),
        "model": done.model,
        "tokens_in": done.tokens_in,
        "tokens_out": done.tokens_out,
    }


def answer_done(events: Iterator[AnswerEvent]) -> DoneEvent:
    """Run an answer to its end; its ``done`` event. Raises on an ``error`` event."""
    for event in events:
        if isinstance(event, ErrorEvent):
            raise error_for(event)
        if isinstance(event, DoneEvent):
            return event
    raise ServiceUnavailableError("The answer ended without a result.")


def answer_collect(events: Iterator[AnswerEvent]) -> dict[str, Any]:
    """Run an answer to its end; the REST ``ask`` body. Raises on an ``error`` event."""
    return answer_body(answer_done(events))


def assistant_model_ids(collection_names: list[str]) -> list[str]:
    """``enclave`` (every readable collection) and ``enclave:<name>`` per collection."""
    return [ASSISTANT_MODEL, *(f"{ASSISTANT_MODEL}:{name}" for name in collection_names)]


def enclave_extra(done: DoneEvent) -> dict[str, Any]:
    """The documented ``enclave`` field of a completion: the citations behind each [n]."""
    return {
        "conversation_id": done.conversation_id,
        "message_id": done.message_id,
        "citations": done.cited_sources,
        "sources": done.sources,
        "grounded": done.grounded,
        "abstained": done.abstained,
        "notice": _notice(done),
        "sentences": dataclasses.asdict(done.sentences),
        "backend": done.backend,
        "rewritten_query": done.rewritten_query,
    }


def usage_of(done: DoneEvent) -> dict[str, int]:
    """OpenAI ``usage`` from a ``done`` event."""
    return {
        "prompt_tokens": done.tokens_in,
        "completion_tokens": done.tokens_out,
        "total_tokens": done.tokens_in + done.tokens_out,
    }


def openai_completion(*, done: DoneEvent, model: str) -> dict[str, Any]:
    """A finished answer as an OpenAI ``chat.completion``."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": done.text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage_of(done),
        "enclave": enclave_extra(done),
    }


def openai_chunks(
    events: Iterator[AnswerEvent], *, model: str, include_usage: bool = False
) -> Iterator[dict[str, Any] | ErrorEvent]:
    """Answer events as OpenAI ``chat.completion.chunk`` dicts (for ``openai_stream_response``).

    The streamed content is the model's text with markers renumbered as they appear;
    the last chunk's ``enclave.content`` is the final text (with citations Enclave
    attributed to uncited sentences), which ``enclave.sources`` numbers.
    """
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**base, "choices": [choice], **extra}

    yield chunk({"role": "assistant", "content": ""})
    for event in events:
        if isinstance(event, DeltaEvent):
            yield chunk({"content": event.text})
        elif isinstance(event, ErrorEvent):
            yield event
            return
        elif isinstance(event, DoneEvent):
            yield chunk({}, "stop", enclave={**enclave_extra(event), "content": event.text})
            if include_usage:
                yield {**base, "choices": [], "usage": usage_of(event)}
            return
