"""The entry point used by the web app: stream an answer with checked citations."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence

from inference.backends.extractive import ExtractiveChatModel
from inference.backends.openai_compatible import OpenAICompatibleChatModel
from inference.base import ChatModel
from inference.budget import estimate_tokens
from inference.citations import check_citations
from inference.config import InferenceConfig
from inference.language import detect_language
from inference.models import (
    Answer,
    AnswerDelta,
    AnswerDone,
    ChatTurn,
    SourcePassage,
    StreamStats,
)

logger = logging.getLogger(__name__)

NO_PASSAGES_MESSAGES = {
    "en": "I could not find any relevant passages in the documents you have access to, "
    "so I cannot answer this question from them.",
    "pt": "Não encontrei trechos relevantes nos documentos a que você tem acesso, "
    "por isso não posso responder a esta pergunta com base neles.",
}

__all__ = ["answer_stream", "chat_model_from_config", "detect_language"]


def chat_model_from_config(config: InferenceConfig) -> ChatModel:
    """Pick the backend: OpenAI-compatible cluster when endpoints exist, else extractive."""
    if config.endpoints:
        return OpenAICompatibleChatModel.from_config(config)
    return ExtractiveChatModel(sentences=config.extractive_sentences)


def answer_stream(
    model: ChatModel,
    *,
    question: str,
    passages: Sequence[SourcePassage],
    history: Sequence[ChatTurn] = (),
) -> Iterator[AnswerDelta | AnswerDone]:
    """Yield answer deltas, then AnswerDone whose text has invalid citations removed.

    Deltas are raw model output; show ``AnswerDone.answer.text`` once it arrives.
    Errors are ``InferenceError`` subclasses; an ``UpstreamError`` may follow deltas.
    """
    start = time.monotonic()
    if not passages:
        text = NO_PASSAGES_MESSAGES[detect_language(question)]
        yield AnswerDelta(text)
        yield AnswerDone(_answer(model, text, 0, None, start, StreamStats(model.name, 0, 0)))
        return
    pieces: list[str] = []
    first_token_ms: float | None = None
    stream = model.stream(question=question, passages=passages, history=history)
    stats = StreamStats(model=model.name)
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
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    yield AnswerDone(_answer(model, "".join(pieces), len(passages), first_token_ms, start, stats))


def _answer(
    model: ChatModel,
    raw_text: str,
    passage_count: int,
    first_token_ms: float | None,
    start: float,
    stats: StreamStats,
) -> Answer:
    text, valid, invalid = check_citations(raw_text, passage_count)
    answer = Answer(
        text=text,
        citations=valid,
        invalid_citations=invalid,
        model=stats.model,
        backend="openai" if model.backend == "openai" else "extractive",
        tokens_in=stats.tokens_in if stats.tokens_in is not None else 0,
        tokens_out=stats.tokens_out if stats.tokens_out is not None else estimate_tokens(text),
        first_token_ms=None if first_token_ms is None else round(first_token_ms, 1),
        total_ms=round((time.monotonic() - start) * 1000, 1),
        grounded=bool(valid),
    )
    logger.info(
        "answer done: backend=%s model=%s passages=%s citations=%s invalid=%s "
        "first_token_ms=%s total_ms=%s",
        answer.backend,
        answer.model,
        passage_count,
        len(valid),
        len(invalid),
        answer.first_token_ms,
        answer.total_ms,
    )
    logger.debug("answer text: %s", answer.text)
    return answer
