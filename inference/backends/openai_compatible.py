"""Generation through OpenAI-compatible servers (vLLM, llama.cpp server) over a cluster."""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from typing import Any

from inference.budget import TokenCounter, estimate_tokens
from inference.cluster import Cluster
from inference.config import InferenceConfig
from inference.models import ChatTurn, SourcePassage, StreamStats
from inference.prompts import build_prompt

logger = logging.getLogger(__name__)


class OpenAICompatibleChatModel:
    """Streams chat completions (``POST {base}/chat/completions``) from a replica cluster."""

    backend = "openai"

    def __init__(
        self,
        cluster: Cluster,
        *,
        max_answer_tokens: int = 512,
        temperature: float = 0.0,
        context_tokens: int = 8192,
        count_tokens: TokenCounter | None = None,
        name: str | None = None,
    ) -> None:
        self.cluster = cluster
        models = dict.fromkeys(replica.endpoint.model for replica in cluster.replicas)
        self.name = name or ",".join(models)
        self._max_answer_tokens = max_answer_tokens
        self._temperature = temperature
        self._context_tokens = context_tokens
        self._count_tokens = count_tokens

    @classmethod
    def from_config(cls, config: InferenceConfig) -> OpenAICompatibleChatModel:
        """Build the model and its cluster from configuration."""
        return cls(
            Cluster.from_config(config),
            max_answer_tokens=config.max_answer_tokens,
            temperature=config.temperature,
            context_tokens=config.context_tokens,
        )

    def stream(
        self,
        *,
        question: str,
        passages: Sequence[SourcePassage],
        history: Sequence[ChatTurn] = (),
    ) -> Generator[str, None, StreamStats]:
        """Yield the model's answer deltas; raise InferenceError subclasses on failure."""
        prompt = build_prompt(
            question=question,
            passages=passages,
            history=history,
            context_tokens=self._context_tokens,
            max_answer_tokens=self._max_answer_tokens,
            count_tokens=self._count_tokens,
        )
        payload: dict[str, Any] = {
            "messages": prompt.messages,
            "max_tokens": self._max_answer_tokens,
            "temperature": self._temperature,
            "stream_options": {"include_usage": True},
        }
        pieces: list[str] = []
        stats = yield from _collect(self.cluster.stream_chat(payload), pieces)
        return StreamStats(
            model=stats.model,
            tokens_in=stats.tokens_in if stats.tokens_in is not None else prompt.prompt_tokens,
            tokens_out=(
                stats.tokens_out
                if stats.tokens_out is not None
                else estimate_tokens("".join(pieces))
            ),
        )


def _collect(
    stream: Generator[str, None, StreamStats], pieces: list[str]
) -> Generator[str, None, StreamStats]:
    """Re-yield ``stream`` while keeping its pieces (for a token estimate when usage is absent)."""
    try:
        while True:
            piece = next(stream)
            pieces.append(piece)
            yield piece
    except StopIteration as stop:
        return stop.value
    finally:
        stream.close()
