"""Value objects passed in and out of the inference package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from inference.support import SentenceSupport

# Metadata an interface shows beside an answer (never part of its text):
# "extractive": quoted from the passages because no language model answers;
# "model_unavailable": quoted because every replica of the model was down.
Notice = Literal["", "extractive", "model_unavailable"]


@dataclass(frozen=True)
class SourcePassage:
    """A retrieved passage shown to the model, numbered from 1 in rank order."""

    number: int
    text: str
    title: str
    page: int | None
    heading: str = ""


@dataclass(frozen=True)
class ChatTurn:
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of streamed answer text (citation markers already renumbered)."""

    text: str


@dataclass(frozen=True)
class Answer:
    """The finished answer with checked, renumbered citations and timings.

    Citations are numbered 1, 2, ... in the order the text first uses them;
    ``source_order[i]`` is the rank (the ``SourcePassage.number`` given) of the
    passage now numbered ``i + 1``: the cited passages first, then the others.
    """

    text: str
    citations: tuple[int, ...]
    invalid_citations: tuple[int, ...]
    model: str
    backend: str
    tokens_in: int
    tokens_out: int
    first_token_ms: float | None
    total_ms: float
    grounded: bool
    # Decoding speed: output tokens over the time from the first token to the last.
    tokens_per_s: float | None = None
    # Per sentence: the passages that support it, or that none does.
    support: tuple[SentenceSupport, ...] = ()
    source_order: tuple[int, ...] = ()
    # No passage was relevant: the text says so, in the question's language.
    abstained: bool = False
    notice: Notice = ""
    # The server that generated it (a replica's base URL); "" for an in-process backend.
    replica: str = ""
    # Time the model spent on the answer, from the request to its last token (what a
    # GPU-hour price counts); None when no model was asked (an abstention).
    model_ms: float | None = None

    def sentences(self, status: str) -> int:
        """How many sentences are ``cited``, ``attributed`` or ``unsupported``."""
        return sum(1 for item in self.support if item.status == status)


@dataclass(frozen=True)
class AnswerDone:
    """The last event of an answer stream."""

    answer: Answer


@dataclass(frozen=True)
class StreamStats:
    """What a backend knows after a stream; its generator returns it (``StopIteration.value``)."""

    model: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    # The replica that answered (its base URL), for per-replica metrics; "" in-process.
    replica: str = ""
