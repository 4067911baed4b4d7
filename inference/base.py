"""The small interface every generation backend implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from inference.models import ChatTurn, SourcePassage


@runtime_checkable
class ChatModel(Protocol):
    """A backend that streams an answer grounded in numbered passages.

    ``stream`` yields raw text deltas. A backend may also *return* a
    :class:`inference.models.StreamStats` from its generator (seen by the caller as
    ``StopIteration.value``) to report the serving model and token counts; callers
    that ignore it lose nothing but the exact counts.
    """

    name: str
    backend: str

    def stream(
        self,
        *,
        question: str,
        passages: Sequence[SourcePassage],
        history: Sequence[ChatTurn] = (),
    ) -> Iterator[str]:
        """Yield the answer as text deltas."""
        ...
