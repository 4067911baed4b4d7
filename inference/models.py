"""Value objects passed in and out of the inference package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from inference.support import SentenceSupport


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
    """A piece of streamed answer text."""

    text: str


@dataclass(frozen=True)
class Answer:
    """The finished answer with checked citations and timings."""

    text: str
    citations: tuple[int, ...]
    invalid_citations: tuple[int, ...]
    model: str
    backend: Literal["extractive", "openai"]
    tokens_in: int
    tokens_out: int
    first_token_ms: float | None
    total_ms: float
    grounded: bool
    # Decoding speed: output tokens over the time from the first token to the last.
    tokens_per_s: float | None = None
    # Sentence-level support, when a similarity function was given.
    support: tuple[SentenceSupport, ...] = ()


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
