"""The entry point used by the web app: stream an answer with checked, renumbered citations."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace

from inference.backends.extractive import ExtractiveChatModel
from inference.backends.openai_compatible import OpenAICompatibleChatModel
from inference.base import ChatModel, UsesSimilarity
from inference.budget import estimate_tokens
from inference.citations import (
    CitationRenumbering,
    parse_citations,
    renumber_citations,
    source_order,
)
from inference.config import InferenceConfig
from inference.errors import ModelUnavailableError
from inference.language import detect_language
from inference.models import (
    Answer,
    AnswerDelta,
    AnswerDone,
    ChatTurn,
    Notice,
    SourcePassage,
    StreamStats,
)
from inference.scoring import Similarity
from inference.support import SentenceSupport, attribute_sentences, quoted_sentences

logger = logging.getLogger(__name__)

NOT_FOUND_MESSAGES = {
    "en": "I could not find this in the documents you have access to, so I cannot answer "
    "it from them.",
    "pt": "Não encontrei isso nos documentos a que você tem acesso, por isso não posso "
    "responder com base neles.",
}

__all__ = ["NOT_FOUND_MESSAGES", "answer_stream", "chat_model_from_config", "detect_language"]


def chat_model_from_config(config: InferenceConfig) -> ChatModel:
    """One backend: an OpenAI-compatible cluster of every endpoint, else extractive."""
    if config.endpoints:
        return OpenAICompatibleChatModel.from_config(config)
    return ExtractiveChatModel(sentences=config.extractive_sentences)


@dataclass
class _Generated:
    """What the stream produced: raw and renumbered text, who wrote it, its figures."""

    model: ChatModel
    renumbering: CitationRenumbering
    stats: StreamStats
    raw: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    first_token_ms: float | None = None
    model_ms: float | None = None


def answer_stream(
    model: ChatModel,
    *,
    question: str,
    passages: Sequence[SourcePassage],
    history: Sequence[ChatTurn] = (),
    fallbacks: Sequence[ChatModel] = (),
    last_resort: ChatModel | None = None,
    standalone_query: str = "",
    similarity: Similarity | None = None,
    min_support: float = 0.45,
) -> Iterator[AnswerDelta | AnswerDone]:
    """Yield answer deltas, then AnswerDone with the final text, citations and checks.

    Markers are renumbered by first use as they stream (invalid ones dropped); after
    a generated answer every sentence is cited, attributed or flagged
    (``inference.support``), which may add markers: show ``AnswerDone.answer.text``
    once it arrives. No passages: a "not found" answer in the question's language,
    without calling a model. ``model`` unavailable before its first token: each of
    ``fallbacks`` in turn, then ``last_resort`` (an extractive model) with the notice
    ``model_unavailable``. Backends that want it get ``standalone_query`` instead of
    ``question``; one that ``UsesSimilarity`` gets ``similarity``. Errors are
    ``InferenceError`` subclasses; an ``UpstreamError`` may follow deltas. Closing
    this generator closes the upstream HTTP stream.
    """
    start = time.monotonic()
    if not passages:
        yield from _abstain(model, question, start)
        return
    asked = {"question": question, "standalone_query": standalone_query or question}
    notice: Notice = ""
    try:
        generated = yield from _generate(
            [model, *fallbacks], asked, passages, history, similarity, start
        )
    except ModelUnavailableError:
        if last_resort is None:
            raise
        logger.warning("every model is unavailable; answering from the passages (%s)", model.name)
        generated = yield from _generate([last_resort], asked, passages, history, similarity, start)
        notice = "model_unavailable"
    if not generated.model.generative and not notice:
        notice = "extractive"
    answer = _answer(generated, passages, similarity, min_support, start, notice)
    if not answer.text.strip():
        yield from _abstain(generated.model, question, start)
        return
    yield AnswerDone(answer)


def _generate(
    candidates: Sequence[ChatModel],
    asked: dict[str, str],
    passages: Sequence[SourcePassage],
    history: Sequence[ChatTurn],
    similarity: Similarity | None,
    start: float,
) -> Generator[AnswerDelta, None, _Generated]:
    """Stream from the first candidate that answers; deltas renumbered as they pass."""
    for index, candidate in enumerate(candidates):
        if similarity is not None and isinstance(candidate, UsesSimilarity):
            candidate = candidate.with_similarity(similarity)
        key = "standalone_query" if candidate.wants_standalone_query else "question"
        numbers = [p.number for p in passages]
        run = _Generated(candidate, CitationRenumbering(numbers), StreamStats(candidate.name))
        began = time.monotonic()
        stream = candidate.stream(question=asked[key], passages=passages, history=history)
        try:
            while True:
                piece = next(stream)
                if run.first_token_ms is None:
                    run.first_token_ms = (time.monotonic() - start) * 1000
                run.raw.append(piece)
                if shown := run.renumbering.feed(piece):
                    run.shown.append(shown)
                    yield AnswerDelta(shown)
        except StopIteration as stop:
            run.model_ms = round((time.monotonic() - began) * 1000, 1)
            if isinstance(stop.value, StreamStats):
                run.stats = stop.value
        except ModelUnavailableError:
            if run.raw or index == len(candidates) - 1:
                raise
            following = candidates[index + 1].name
            logger.warning("model %s unavailable; falling back to %s", candidate.name, following)
            continue
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if tail := run.renumbering.finish():
            run.shown.append(tail)
            yield AnswerDelta(tail)
        return run
    raise ModelUnavailableError("No model to answer with.")  # candidates was empty


def _abstain(model: ChatModel, question: str, start: float) -> Iterator[AnswerDelta | AnswerDone]:
    text = NOT_FOUND_MESSAGES[detect_language(question)]
    yield AnswerDelta(text)
    total_ms = round((time.monotonic() - start) * 1000, 1)
    logger.info("answer abstained: no relevant passage (model %s not asked)", model.name)
    yield AnswerDone(
        Answer(
            text=text,
            citations=(),
            invalid_citations=(),
            model=model.name,
            backend=model.backend,
            tokens_in=0,
            tokens_out=0,
            first_token_ms=None,
            total_ms=total_ms,
            grounded=False,
            abstained=True,
        )
    )


def _checked(
    generated: _Generated,
    passages: Sequence[SourcePassage],
    similarity: Similarity | None,
    min_support: float,
) -> tuple[str, tuple[int, ...], tuple[SentenceSupport, ...]]:
    """(final text, source order by rank, verdicts) once the stream has ended."""
    text = "".join(generated.shown)
    order = source_order(generated.renumbering.order, [p.number for p in passages])
    if not generated.model.generative:
        return text, order, quoted_sentences(text)
    by_rank: dict[int, SourcePassage] = {}
    for passage in passages:
        by_rank.setdefault(passage.number, passage)
    renumbered = [replace(by_rank[rank], number=n) for n, rank in enumerate(order, start=1)]
    attribution = attribute_sentences(text, renumbered, similarity, min_score=min_support)
    final, used, _ = renumber_citations(attribution.text, len(order))
    again = source_order(used, len(order))
    new_number = {old: new for new, old in enumerate(again, start=1)}
    support = tuple(
        replace(item, citations=tuple(new_number[n] for n in item.citations))
        for item in attribution.sentences
    )
    return final, tuple(order[old - 1] for old in again), support


def _tokens_per_s(tokens_out: int, first_token_ms: float | None, total_ms: float) -> float | None:
    if first_token_ms is None or tokens_out < 2:
        return None
    decoding_s = (total_ms - first_token_ms) / 1000
    return round(tokens_out / decoding_s, 1) if decoding_s >= 0.001 else None


def _answer(
    generated: _Generated,
    passages: Sequence[SourcePassage],
    similarity: Similarity | None,
    min_support: float,
    start: float,
    notice: Notice,
) -> Answer:
    text, order, support = _checked(generated, passages, similarity, min_support)
    cited = sorted(set(parse_citations(text)))
    stats, first_token_ms = generated.stats, generated.first_token_ms
    total_ms = round((time.monotonic() - start) * 1000, 1)
    tokens_out = stats.tokens_out if stats.tokens_out is not None else estimate_tokens(text)
    answer = Answer(
        text=text,
        citations=tuple(cited),
        invalid_citations=tuple(sorted(generated.renumbering.invalid)),
        model=stats.model,
        backend=generated.model.backend,
        tokens_in=stats.tokens_in if stats.tokens_in is not None else 0,
        tokens_out=tokens_out,
        first_token_ms=None if first_token_ms is None else round(first_token_ms, 1),
        total_ms=total_ms,
        grounded=bool(cited),
        tokens_per_s=_tokens_per_s(tokens_out, first_token_ms, total_ms),
        support=support,
        source_order=order,
        notice=notice,
        replica=stats.replica,
        model_ms=generated.model_ms,
    )
    _log(answer, len(passages))
    return answer


def _log(answer: Answer, passages: int) -> None:
    """One line per answer: figures only (the text at DEBUG)."""
    logger.info(
        "answer done: backend=%s model=%s passages=%s citations=%s invalid=%s cited=%s "
        "attributed=%s unsupported=%s notice=%s first_token_ms=%s total_ms=%s tokens_in=%s "
        "tokens_out=%s",
        answer.backend,
        answer.model,
        passages,
        len(answer.citations),
        len(answer.invalid_citations),
        answer.sentences("cited"),
        answer.sentences("attributed"),
        answer.sentences("unsupported"),
        answer.notice or "-",
        answer.first_token_ms,
        answer.total_ms,
        answer.tokens_in,
        answer.tokens_out,
    )
    logger.debug("answer text: %s", answer.text)
