"""Which model answers: the small fast one for simple questions, the large one for hard ones.

The rule trades latency and cost against accuracy with signals that are cheap to
compute before retrieval: a question the user explicitly sends to a model (or tier)
goes there; long questions, several questions in one, and questions that ask to
compare, explain, analyse or summarise go to the large tier; everything else goes
to the default model (or the small tier).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inference.backends.extractive import ExtractiveChatModel
from inference.backends.openai_compatible import OpenAICompatibleChatModel
from inference.base import ChatModel, Completer
from inference.catalogue import TIERS, ModelSpec
from inference.cluster import Cluster, ReplicaStatus
from inference.config import InferenceConfig
from inference.errors import UnknownModelError

__all__ = ["BUILDERS", "ModelRouter", "Route", "classify_question", "router_from_config"]

logger = logging.getLogger(__name__)

_HARD_MARKERS = re.compile(
    r"\b(compare|comparison|contrast|differences?|explain|why|analy[sz]e|analysis|"
    r"summari[sz]e|summary|pros and cons|trade-?offs?|step by step|evaluate|implications?|"
    r"compar[ae]r?|compara[çc][ãa]o|diferen[çc]as?|expli(?:que|car)|por ?qu[eê]|anali[sz]ar?|"
    r"an[áa]lise|resum(?:a|ir|o)|vantagens e desvantagens|passo a passo|avali(?:e|ar))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)


def classify_question(question: str, *, hard_words: int = 40) -> tuple[str, str]:
    """Return ("simple" | "hard", reason) for ``question``."""
    words = len(_WORD.findall(question))
    if words >= hard_words:
        return "hard", f"long question ({words} words)"
    if question.count("?") >= 2:
        return "hard", "several questions at once"
    marker = _HARD_MARKERS.search(question)
    if marker:
        return "hard", f"asks to {marker.group(0).lower()!r}"
    return "simple", f"short factual question ({words} words)"


@dataclass(frozen=True)
class Route:
    """The model chosen for one question, why, and the others to try if it is down.

    ``last_resort`` answers from the passages (extractive) when every model is down.
    """

    name: str
    model: ChatModel
    reason: str
    fallbacks: tuple[ChatModel, ...] = field(default=())
    last_resort: ChatModel | None = None


@dataclass(frozen=True)
class _Entry:
    spec: ModelSpec | None
    model: ChatModel

    @property
    def tier(self) -> str:
        return self.spec.tier if self.spec else "small"


class ModelRouter:
    """The catalogue's chat models and the routing rule that picks one per question."""

    def __init__(
        self,
        entries: Sequence[tuple[ModelSpec | None, ChatModel]],
        *,
        default_model: str = "",
        hard_words: int = 40,
        rewriter: Completer | None = None,
        last_resort: ChatModel | None = None,
    ) -> None:
        if not entries:
            raise ValueError("a router needs at least one model")
        self._entries = {model.name: _Entry(spec, model) for spec, model in entries}
        if default_model and default_model not in self._entries:
            raise ValueError(f"default model {default_model!r} is not in the catalogue")
        self.default_name = (
            default_model or self._first_of_tier("small") or next(iter(self._entries))
        )
        self._hard_words = hard_words
        self.rewriter = rewriter
        self.last_resort = last_resort

    @property
    def default(self) -> ChatModel:
        """The model used when nothing points elsewhere."""
        return self._entries[self.default_name].model

    def describe(self) -> list[dict[str, str]]:
        """Name, tier, description and backend of every model (for menus and /v1/models)."""
        return [
            {
                "name": name,
                "tier": entry.tier,
                "description": entry.spec.description if entry.spec else "",
                "backend": entry.model.backend,
            }
            for name, entry in self._entries.items()
        ]

    def replica_status(self) -> list[ReplicaStatus]:
        """Every replica of every served model, as its latest health check and calls left it."""
        return [
            status
            for entry in self._entries.values()
            if isinstance(entry.model, OpenAICompatibleChatModel)
            for status in entry.model.cluster.status()
        ]

    def _first_of_tier(self, tier: str) -> str | None:
        return next((n for n, e in self._entries.items() if e.tier == tier), None)

    def route(
        self, *, question: str, requested: str | None = None, why: str = "requested"
    ) -> Route:
        """Pick the model for ``question``; ``requested`` is a model name or a tier.

        ``why`` says where ``requested`` came from (e.g. "user default") for the reason.
        """
        if requested:
            name = self._resolve(requested)
            reason = f"{why} {requested!r}"
        else:
            kind, why = classify_question(question, hard_words=self._hard_words)
            large = self._first_of_tier("large")
            name = large if kind == "hard" and large else self.default_name
            reason = f"{kind}: {why}"
        chosen = self._entries[name].model
        # Only generating models are tried in turn; quoting is the last resort.
        others = tuple(
            e.model for n, e in self._entries.items() if n != name and e.model.generative
        )
        last_resort = self.last_resort if chosen.generative else None
        logger.info("route model=%s reason=%s", name, reason)
        return Route(
            name=name, model=chosen, reason=reason, fallbacks=others, last_resort=last_resort
        )

    def resolve(self, requested: str) -> str:
        """The catalogue name a model name or tier stands for; UnknownModelError if none."""
        return self._resolve(requested)

    def _resolve(self, requested: str) -> str:
        if requested in self._entries:
            return requested
        if requested in TIERS:
            found = self._first_of_tier(requested)
            if found:
                return found
        choices = ", ".join([*self._entries, *TIERS])
        raise UnknownModelError(f"Unknown model {requested!r}. Choose one of: {choices}.")

    def close(self) -> None:
        """Close every model's connections."""
        for entry in self._entries.values():
            close = getattr(entry.model, "close", None)
            if close is not None:
                close()


def _openai_model(spec: ModelSpec, config: InferenceConfig) -> ChatModel:
    cluster = Cluster.from_config(config, endpoints=spec.endpoints)
    return OpenAICompatibleChatModel(
        cluster,
        max_answer_tokens=spec.max_answer_tokens or config.max_answer_tokens,
        temperature=config.temperature,
        context_tokens=spec.context_tokens or config.context_tokens,
        name=spec.name,
    )


def _extractive_model(spec: ModelSpec, config: InferenceConfig) -> ChatModel:
    return ExtractiveChatModel(sentences=config.extractive_sentences, name=spec.name)


# A catalogue entry's ``kind`` -> the function that builds its backend. A new backend
# (an in-process llama.cpp, a hosted API) is one builder here and one kind in the catalogue.
BUILDERS: dict[str, Callable[[ModelSpec, InferenceConfig], ChatModel]] = {
    "openai": _openai_model,
    "extractive": _extractive_model,
}


def router_from_config(config: InferenceConfig) -> ModelRouter:
    """A router over the configured catalogue, or over the extractive backend alone.

    Whatever the catalogue, answers fall back to quoting the passages (extractive)
    when every generating model is down.
    """
    extractive = ExtractiveChatModel(sentences=config.extractive_sentences)
    catalogue = config.catalogue()
    if not catalogue:
        return ModelRouter([(None, extractive)], hard_words=config.hard_question_words)
    entries = [(spec, BUILDERS[spec.kind](spec, config)) for spec in catalogue]
    router = ModelRouter(
        entries,
        default_model=config.default_model,
        hard_words=config.hard_question_words,
        last_resort=extractive,
    )
    if config.rewrite_follow_ups and isinstance(router.default, Completer):
        router.rewriter = router.default
    return router
