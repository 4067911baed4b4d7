"""The events of an answer, one typed definition for every medium that relays them.

``conversation_ask`` yields ``SourcesEvent``, ``DeltaEvent``... then ``DoneEvent``
or ``ErrorEvent``. The SSE relay (``chat/sse.py``), the REST and OpenAI-compatible
API (``api/answers.py``) and the CLI (``cli.py``) match on these classes;
``event_data`` is the JSON body on the wire (the event's ``name`` is the SSE event
name), ``event_from_wire`` reads it back.

Numbering: ``SourcesEvent.sources`` are the passages found, numbered by rank, sent
before the answer starts. The answer's markers are numbered by first use, so the
``DoneEvent`` carries ``sources`` again, numbered as its text cites them (cited
passages first, then the others).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypedDict

from inference import SourcePassage
from retrieval import Passage

__all__ = [
    "AnswerEvent",
    "DeltaEvent",
    "DoneEvent",
    "ErrorEvent",
    "Notice",
    "SentenceCounts",
    "Source",
    "SourcesEvent",
    "event_data",
    "event_from_wire",
    "passage_as_source",
    "renumbered_sources",
    "source_passage",
]


class Source(TypedDict):
    """A numbered passage: what an answer's [n] refers to."""

    number: int
    document_id: int
    collection_id: int
    chunk_index: int
    title: str
    page: int | None
    heading: str
    text: str
    score: float


def passage_as_source(number: int, passage: Passage) -> Source:
    """A retrieved passage as the numbered source shown with an answer."""
    return {
        "number": number,
        "document_id": passage.document_id,
        "collection_id": passage.collection_id,
        "chunk_index": passage.chunk_index,
        "title": passage.title,
        "page": passage.page,
        "heading": passage.heading,
        "text": passage.text,
        "score": round(float(passage.score), 4),
    }


def source_passage(source: Source) -> SourcePassage:
    """A source as the numbered passage the model is given."""
    return SourcePassage(
        number=source["number"],
        text=source["text"],
        title=source["title"],
        page=source["page"],
        heading=source["heading"],
    )


def renumbered_sources(sources: list[Source], order: tuple[int, ...]) -> list[Source]:
    """The sources numbered as the answer cites them: ``order[i]`` is the rank of [i + 1]."""
    return [{**sources[rank - 1], "number": n} for n, rank in enumerate(order, start=1)]


@dataclass(frozen=True)
class Notice:
    """Metadata shown beside an answer (never part of its text), e.g. "extractive"."""

    code: str
    message: str


@dataclass(frozen=True)
class SentenceCounts:
    """How the answer's sentences are backed: cited by the model, attributed, or by nothing."""

    cited: int = 0
    attributed: int = 0
    unsupported: int = 0


@dataclass(frozen=True)
class SourcesEvent:
    """The passages found (rank order), before any answer text."""

    name: ClassVar[str] = "sources"
    conversation_id: int
    sources: list[Source]
    rewritten_query: str = ""


@dataclass(frozen=True)
class DeltaEvent:
    """A piece of the answer as it is written (markers already renumbered)."""

    name: ClassVar[str] = "delta"
    text: str


@dataclass(frozen=True)
class DoneEvent:
    """The stored answer: the text to show, its sources as numbered in it, and its figures."""

    name: ClassVar[str] = "done"
    conversation_id: int
    message_id: int
    text: str
    citations: list[int]
    sources: list[Source]
    grounded: bool
    abstained: bool = False
    notice: Notice | None = None
    sentences: SentenceCounts = field(default_factory=SentenceCounts)
    invalid_citations: list[int] = field(default_factory=list)
    support: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""
    backend: str = ""
    retrieval_ms: float | None = None
    # CPU time the request's thread spent searching (see AnswerRecord).
    retrieval_cpu_ms: float | None = None
    first_token_ms: float | None = None
    total_ms: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_per_s: float | None = None
    rewritten_query: str = ""
    route_reason: str = ""

    @property
    def cited_sources(self) -> list[Source]:
        """The sources the text cites, in their order."""
        return [s for s in self.sources if s["number"] in self.citations]


@dataclass(frozen=True)
class ErrorEvent:
    """The answer failed: a stable code and a short message in the user's language."""

    name: ClassVar[str] = "error"
    code: str
    message: str


AnswerEvent = SourcesEvent | DeltaEvent | DoneEvent | ErrorEvent
_CLASSES: dict[str, type[AnswerEvent]] = {
    cls.name: cls for cls in (SourcesEvent, DeltaEvent, DoneEvent, ErrorEvent)
}


def event_data(event: AnswerEvent) -> dict[str, Any]:
    """The event's JSON body (its name travels beside it).

    Shallow: the lists and dicts are the event's own, not copies (the body is
    serialised, never changed); only nested dataclasses become dicts. A deep
    ``dataclasses.asdict`` of every delta and of the done event's sources cost as
    much of the web process's CPU as the question's search.
    """
    return {
        name: dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
        for name, value in ((name, getattr(event, name)) for name in _field_names(type(event)))
    }


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def event_from_wire(name: str, data: dict[str, Any]) -> AnswerEvent:
    """An event read back from its name and JSON body (unknown fields ignored)."""
    cls = _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"unknown answer event {name!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    values = {key: value for key, value in data.items() if key in known}
    if cls is DoneEvent:
        notice = values.get("notice")
        values["notice"] = Notice(**notice) if isinstance(notice, dict) else None
        values["sentences"] = SentenceCounts(**(values.get("sentences") or {}))
    return cls(**values)
