"""The entry point used by the web app: stream an answer with checked citations."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from inference.backends.extractive import ExtractiveChatModel
from inference.backends.openai_compatible import OpenAICompatibleChatModel
from inference.base import ChatModel
from inference.budget import estimate_tokens
from inference.citations import check_citations
from inference.config import InferenceConfig
from inference.errors import ModelUnavailableError
from inference.language import detect_language
from inference.models import (
    Answer,
    AnswerDelta,
    AnswerDone,
    ChatTurn,
    SourcePassage,
    StreamStats,
)
from inference.support import Similarity, check_support

logger = logging.getLogger(__name__)

NO_PASSAGES_MESSAGES = {
    "en": "I could not find any relevant passages in the documents you have access to, "
    "so I cannot answer this question from them.",
    "pt": "Não encontrei trechos relevantes nos documentos a que você tem acesso, "
    "por isso não posso responder a esta pergunta com base neles.",
}

__all__ = ["answer_stream", "chat_model_from_config", "detect_language"]


def chat_model_from_config(config: InferenceConfig) -> ChatModel:
    """One backend: an OpenAI-compatible cluster of every endpoint, else extractive."""
    if config.endpoints:
        return OpenAICompatibleChatModel.from_config(config)
    return ExtractiveChatModel(sentences=config.extractive_sentences)


def answer_stream(
    model: ChatModel,
    *,
    question: str,
    passages: Sequence[SourcePassage],
    history: Sequence[ChatTurn] = (),
    fallbacks: Sequence[ChatModel] = (),
    similarity: Similarity | None = None,
    min_support: float = 0.5,
) -> Iterator[AnswerDelta | AnswerDone]:
    """Yield answer deltas, then AnswerDone whose text has invalid citations removed.

    Deltas are raw model output; show ``AnswerDone.answer.text`` once it arrives.
    When ``model`` is unavailable before its first token, each of ``fallbacks`` is
    tried in turn. With ``similarity``, each cited sentence is checked against its
    passages. Errors are ``InferenceError`` subclasses; an ``UpstreamError`` may
    follow deltas. Closing this generator closes the upstream HTTP stream.
    """
    start = time.monotonic()
    if not passages:
        text = NO_PASSAGES_MESSAGES[detect_language(question)]
        yield AnswerDelta(text)
        yield AnswerDone(_answer(model, text, (), None, start, StreamStats(model.name, 0, 0)))
        return
    pieces: list[str] = []
    first_token_ms: float | None = None
    stats = StreamStats(model=model.name)
    candidates = [model, *fallbacks]
    for index, candidate in enumerate(candidates):
        model = candidate
        stream = candidate.stream(question=question, passages=passages, history=history)
        try:
            while True:
                piece = next(stream)
                if first_token_ms is None:
                    first_token_ms = (time.monotonic() - start) * 1000
                pieces.append(piece)
                yield AnswerDelta(piece)
        except StopIteration as stop:
            if isinstance(stop.value, StreamStats):
                stats = stop.value
            break
        except ModelUnavailableError:
            if pieces or index == len(candidates) - 1:
                raise
            logger.warning(
                "model %s unavailable; falling back to %s",
                candidate.name,
                candidates[index + 1].name,
            )
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
    answer = _answer(model, "".join(pieces), passages, first_token_ms, start, stats)
    if similarity is not None and answer.citations:
        support = check_support(answer.text, passages, similarity, min_score=min_support)
        answer = replace(answer, support=support)
    yield AnswerDone(answer)


def _tokens_per_s(tokens_out: int, first_token_ms: float | None, total_ms: float) -> float | None:
    if first_token_ms is None or tokens_out < 2:
        return None
    decoding_s = (total_ms - first_token_ms) / 1000
    return round(tokens_out / decoding_s, 1) if decoding_s >= 0.001 else None


def _answer(
    model: ChatModel,
    raw_text: str,
    passages: Sequence[SourcePassage],
    first_token_ms: float | None,
    start: float,
    stats: StreamStats,
) -> Answer:
    text, valid, invalid = check_citations(raw_text, len(passages))
    total_ms = round((time.monotonic() - start) * 1000, 1)
    tokens_out = stats.tokens_out if stats.tokens_out is not None else estimate_tokens(text)
    answer = Answer(
        text=text,
        citations=valid,
        invalid_citations=invalid,
        model=stats.model,
        backend="openai" if model.backend == "openai" else "extractive",
        tokens_in=stats.tokens_in if stats.tokens_in is not None else 0,
        tokens_out=tokens_out,
        first_token_ms=None if first_token_ms is None else round(first_token_ms, 1),
        total_ms=total_ms,
        grounded=bool(valid),
        tokens_per_s=_tokens_per_s(tokens_out, first_token_ms, total_ms),
    )
    logger.info(
        "answer done: backend=%s model=%s passages=%s citations=%s invalid=%s "
        "first_token_ms=%s total_ms=%s tokens_in=%s tokens_out=%s",
        answer.backend,
        answer.model,
        len(passages),
        len(valid),
        len(invalid),
        answer.first_token_ms,
        answer.total_ms,
        answer.tokens_in,
        answer.tokens_out,
    )
    logger.debug("answer text: %s", answer.text)
    return answer
