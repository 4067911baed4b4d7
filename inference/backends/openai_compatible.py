"""Generation through OpenAI-compatible servers (vLLM, llama.cpp server) over a cluster."""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from contextlib import closing
from typing import Any

from inference.budget import TokenCounter, estimate_tokens
from inference.cluster import Cluster
from inference.config import InferenceConfig
from inference.errors import ContextOverflowError
from inference.models import ChatTurn, SourcePassage, StreamStats
from inference.prompts import Prompt, build_prompt, clean_history
from inference.tokenizer import ServedTokenCounter

logger = logging.getLogger(__name__)

# Chat templates add text the message contents do not show (Llama 3.1 puts dates in
# the system header); keep this much of the window free for it.
TEMPLATE_RESERVE_TOKENS = 32


class OpenAICompatibleChatModel:
    """Streams chat completions (``POST {base}/chat/completions``) from a replica cluster.

    With ``served_limits`` (the default) prompts are counted with the server's own
    tokenizer (``/tokenize``) and the window is capped at the server's ``max_model_len``
    (``/v1/models``), so a misconfigured ``context_tokens`` cannot cause a 400.
    """

    backend = "openai"
    # Capabilities (see ``inference.base.ChatModel``).
    generative = True
    wants_standalone_query = False

    def __init__(
        self,
        cluster: Cluster,
        *,
        max_answer_tokens: int = 512,
        temperature: float = 0.0,
        context_tokens: int = 8192,
        count_tokens: TokenCounter | None = None,
        name: str | None = None,
        served_limits: bool = True,
    ) -> None:
        self.cluster = cluster
        models = dict.fromkeys(replica.endpoint.model for replica in cluster.replicas)
        self.name = name or ",".join(models)
        self._max_answer_tokens = max_answer_tokens
        self._temperature = temperature
        self._context_tokens = context_tokens
        self._served = ServedTokenCounter(cluster, next(iter(models))) if served_limits else None
        self._count_tokens = count_tokens or self._served

    @classmethod
    def from_config(cls, config: InferenceConfig) -> OpenAICompatibleChatModel:
        """Build the model and its cluster from configuration (all endpoints, one cluster)."""
        return cls(
            Cluster.from_config(config),
            max_answer_tokens=config.max_answer_tokens,
            temperature=config.temperature,
            context_tokens=config.context_tokens,
        )

    def limits(self) -> tuple[int, int]:
        """(context window for the prompt and answer, answer tokens), capped by the server."""
        context = self._context_tokens
        if self._served is not None:
            served = self._served.served_context_tokens()
            if served is not None and served < context:
                context = served
        answer_tokens = min(self._max_answer_tokens, max(context // 2, 1))
        return context, answer_tokens

    def stream(
        self,
        *,
        question: str,
        passages: Sequence[SourcePassage],
        history: Sequence[ChatTurn] = (),
    ) -> Generator[str, None, StreamStats]:
        """Yield the model's answer deltas; raise InferenceError subclasses on failure."""
        prompt, answer_tokens = self._prompt(question, passages, history)
        payload: dict[str, Any] = {
            "messages": prompt.messages,
            "max_tokens": answer_tokens,
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
            replica=stats.replica,
        )

    def _prompt(
        self, question: str, passages: Sequence[SourcePassage], history: Sequence[ChatTurn]
    ) -> tuple[Prompt, int]:
        context, answer_tokens = self.limits()
        reserve = TEMPLATE_RESERVE_TOKENS if self._served is not None else 0
        options = {
            "question": question,
            "passages": passages,
            "history": history,
            "context_tokens": context - reserve,
            "max_answer_tokens": answer_tokens,
        }
        if self._count_tokens is self._served and self._served is not None:
            # A byte-level BPE token covers at least one byte, so UTF-8 bytes bound the
            # count from above: when everything fits by bytes, skip /tokenize round-trips.
            try:
                bound = build_prompt(**options, count_tokens=utf8_bytes)
            except ContextOverflowError:
                bound = None  # over by bytes is not over by tokens: count exactly below
            whole = tuple(sorted(passages, key=lambda passage: passage.number))
            if (
                bound is not None
                and bound.passages_used == whole
                and len(bound.history_used) == _turns(history)
            ):
                return bound, answer_tokens
        return build_prompt(**options, count_tokens=self._count_tokens), answer_tokens

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 64) -> str:
        """A short, whole completion for helper prompts (query rewriting)."""
        payload: dict[str, Any] = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream_options": {"include_usage": True},
        }
        with closing(self.cluster.stream_chat(payload)) as stream:
            return "".join(stream)

    def close(self) -> None:
        """Close the cluster's pooled connections."""
        self.cluster.close()


def utf8_bytes(text: str) -> int:
    """An upper bound of any byte-level tokenizer's count: the text's UTF-8 size."""
    return len(text.encode())


def _turns(history: Sequence[ChatTurn]) -> int:
    return len(clean_history(history))


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
