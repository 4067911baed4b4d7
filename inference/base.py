"""The small interfaces every generation backend implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from inference.models import ChatTurn, SourcePassage
from inference.scoring import Similarity


@runtime_checkable
class ChatModel(Protocol):
    """A backend that streams an answer grounded in numbered passages.

    ``stream`` yields raw text deltas. A backend may also *return* a
    :class:`inference.models.StreamStats` from its generator (seen by the caller as
    ``StopIteration.value``) to report the serving model and token counts; callers
    that ignore it lose nothing but the exact counts.

    Capabilities, read by callers instead of the backend's name:
    ``generative``: writes its own sentences (which are then checked against the
    passages); False for a backend that quotes them. ``wants_standalone_query``:
    give it the follow-up rewritten as a standalone query rather than the question
    and the history.
    """

    name: str
    backend: str
    generative: bool
    wants_standalone_query: bool

    def stream(
        self,
        *,
        question: str,
        passages: Sequence[SourcePassage],
        history: Sequence[ChatTurn] = (),
    ) -> Iterator[str]:
        """Yield the answer as text deltas."""
        ...


@runtime_checkable
class UsesSimilarity(Protocol):
    """A backend that judges meaning with an injected similarity (the extractive one)."""

    def with_similarity(self, similarity: Similarity) -> ChatModel:
        """The same backend, using ``similarity``."""
        ...


@runtime_checkable
class Completer(Protocol):
    """A backend that can also complete short helper prompts (query rewriting)."""

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 64) -> str:
        """A short, whole completion."""
        ...
