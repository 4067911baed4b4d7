"""Storing a question and its answer, after the answer has started streaming.

Records wait for questions being prepared (``PREPARING``, see ``chat/preparing.py``):
a web process runs every answer on one interpreter lock, and a first token waits for
its question's retrieval, never for another answer's bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from inference import Answer
from webapp.audit.models import AuditEvent
from webapp.audit.services import audit_record
from webapp.chat.events import DoneEvent, SentenceCounts, Source, renumbered_sources
from webapp.chat.models import Conversation, Message
from webapp.chat.preparing import Preparing
from webapp.chat.wording import notice_for

__all__ = ["PREPARING", "AnswerRecord", "PendingQuestion", "sentence_counts"]

# Records of streaming answers yield to questions being prepared (webapp/chat/preparing.py).
PREPARING = Preparing(max_wait_s=0.5)


class PendingQuestion:
    """The user's message, stored once: after the answer's first delta has left.

    Not before retrieval: the write then stays off the time to the first token (it
    overlaps the model's next tokens instead), and it waits while other questions
    are being prepared (``PREPARING``, at most 0.5 s). It is stored earlier when a
    reply is recorded first (a failed answer) and, through ``conversation_ask``'s
    ``finally``, when the answer ends before any delta (an error, a reader who left).
    """

    def __init__(self, conversation: Conversation, text: str) -> None:
        self.conversation = conversation
        self.text = text
        self.stored = False

    def store(self) -> None:
        """Write the message unless it is written already (after questions being prepared)."""
        if not self.stored:
            self.stored = True
            PREPARING.wait()
            Message.objects.create(
                conversation=self.conversation, role=Message.Role.USER, text=self.text
            )


@dataclass(frozen=True)
class AnswerRecord:
    """What is known of an answer before its text: where it goes and how it was found."""

    conversation: Conversation
    # The passages found, numbered by rank (scores kept for quality reports).
    sources: list[Source]
    retrieval_ms: float
    rewritten_query: str
    route_reason: str
    # CPU time of the searching thread (not stored: the overhead benchmark reads it).
    retrieval_cpu_ms: float = 0.0

    def _fields(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation,
            "role": Message.Role.ASSISTANT,
            "retrieval": [
                {k: s[k] for k in ("number", "document_id", "chunk_index", "score")}
                for s in self.sources
            ],
            "retrieval_ms": self.retrieval_ms,
            "rewritten_query": self.rewritten_query,
            "route_reason": self.route_reason[:200],
            "collection_id": self.sources[0]["collection_id"] if self.sources else None,
        }

    def store_failure(self, *, code: str, model: str, text: str = "") -> None:
        """The reply's text so far (often none) with its error code; the question comes first."""
        Message.objects.create(**self._fields(), text=text, error_code=code, model=model)

    def store(
        self,
        *,
        user: Any,
        question: str,
        answer: Answer,
        language: str,
        channel: str,
        replaces: int | None = None,
    ) -> DoneEvent:
        """Store the answer and audit the question (with the answer it ``replaces``); ``done``."""
        sources = renumbered_sources(self.sources, answer.source_order)
        cited = [s for s in sources if s["number"] in answer.citations]
        PREPARING.wait()
        # One transaction: the answer, the conversation's time and the audit land together.
        with transaction.atomic():
            message = Message.objects.create(**self._fields(), **_answer_fields(answer, cited))
            self.conversation.save(update_fields=["updated_at"])
            audit_record(
                kind=AuditEvent.Kind.ASK,
                actor=user,
                detail={
                    "conversation_id": self.conversation.id,
                    "message_id": message.id,
                    "question": question,
                    "document_ids": sorted({s["document_id"] for s in self.sources}),
                    "cited_document_ids": sorted({s["document_id"] for s in cited}),
                    "channel": channel,
                    **({"replaces": replaces} if replaces is not None else {}),
                },
            )
        return DoneEvent(
            conversation_id=self.conversation.id,
            message_id=message.id,
            text=answer.text,
            citations=list(answer.citations),
            sources=sources,
            grounded=answer.grounded,
            abstained=answer.abstained,
            notice=notice_for(answer.notice, language),
            sentences=sentence_counts(answer),
            invalid_citations=list(answer.invalid_citations),
            support=message.support,
            model=answer.model,
            backend=answer.backend,
            retrieval_ms=round(self.retrieval_ms, 1),
            retrieval_cpu_ms=round(self.retrieval_cpu_ms, 2),
            first_token_ms=answer.first_token_ms,
            total_ms=answer.total_ms,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            tokens_per_s=answer.tokens_per_s,
            rewritten_query=self.rewritten_query,
            route_reason=self.route_reason,
        )


def sentence_counts(answer: Answer) -> SentenceCounts:
    """How the answer's sentences are backed (cited, attributed, unsupported)."""
    return SentenceCounts(
        cited=answer.sentences("cited"),
        attributed=answer.sentences("attributed"),
        unsupported=answer.sentences("unsupported"),
    )


def _answer_fields(answer: Answer, cited: list[Source]) -> dict[str, Any]:
    """The Message fields an answer fills."""
    counts = sentence_counts(answer)
    return {
        "text": answer.text,
        "citations": cited,
        "invalid_citations": list(answer.invalid_citations),
        "support": [item.as_dict() for item in answer.support],
        "model": answer.model,
        "backend": answer.backend,
        "grounded": answer.grounded,
        "abstained": answer.abstained,
        "notice": answer.notice,
        "sentences_cited": counts.cited,
        "sentences_attributed": counts.attributed,
        "sentences_unsupported": counts.unsupported,
        "tokens_in": answer.tokens_in,
        "tokens_out": answer.tokens_out,
        "tokens_per_s": answer.tokens_per_s,
        "first_token_ms": answer.first_token_ms,
        "total_ms": answer.total_ms,
        "model_ms": answer.model_ms,
    }
