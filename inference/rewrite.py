"""Follow-up questions ("and in 2023?") rewritten into standalone queries before retrieval.

Retrieval sees one query and no history, so a follow-up must carry what it refers
to. With a language model the model rewrites it; without one (extractive mode) a
history-aware heuristic does: swap the year or number of the previous question, or
append the follow-up to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from inference.errors import InferenceError
from inference.lexical import terms
from inference.models import ChatTurn

__all__ = [
    "REWRITE_SYSTEM_PROMPT",
    "Rewrite",
    "looks_like_follow_up",
    "rewrite_heuristic",
    "rewrite_question",
]

logger = logging.getLogger(__name__)

REWRITE_SYSTEM_PROMPT = (
    "Rewrite the user's follow-up question as one standalone search query that can be "
    "understood without the conversation. Keep the language of the question. Output "
    "only the rewritten question, nothing else."
)
_CONNECTIVE = re.compile(
    r"^\s*(?:and|but|also|so|what about|how about|and what about|"
    r"e|mas|também|e quanto a|e quanto ao|e quanto à|e sobre|e no|e na|e em)\b[\s,]*",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|there|same|"
    r"isso|isto|disso|nisso|ele|ela|eles|elas|dele|dela|mesmo|mesma)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_SHORT_TERMS = 3
_MAX_HISTORY_TURNS = 6


class _Completer(Protocol):
    def complete(self, messages: list[dict[str, str]], *, max_tokens: int = 64) -> str: ...


@dataclass(frozen=True)
class Rewrite:
    """The query retrieval will use and how it was made."""

    query: str
    method: Literal["none", "heuristic", "llm"]


def _previous_question(history: Sequence[ChatTurn]) -> str | None:
    return next((turn.text for turn in reversed(history) if turn.role == "user"), None)


def looks_like_follow_up(question: str, history: Sequence[ChatTurn]) -> bool:
    """True when ``question`` probably leans on the conversation before it."""
    if _previous_question(history) is None:
        return False
    return bool(
        _CONNECTIVE.match(question)
        or _REFERENCE.search(question)
        or len(terms(question)) <= _SHORT_TERMS
    )


def rewrite_heuristic(question: str, history: Sequence[ChatTurn]) -> str:
    """Standalone query without a model: the previous question adjusted by the follow-up."""
    previous = _previous_question(history)
    if previous is None:
        return question.strip()
    rest = _CONNECTIVE.sub("", question).strip().rstrip("?").strip()
    base = previous.strip()
    for pattern in (_YEAR, _NUMBER):
        new, old = pattern.findall(rest), pattern.findall(base)
        if len(new) == 1 and len(old) == 1:
            return pattern.sub(new[0], base, count=1)
    if not rest:
        return base
    return f"{base.rstrip(' ?')} {rest}?"


def _rewrite_messages(question: str, history: Sequence[ChatTurn]) -> list[dict[str, str]]:
    lines = [
        f"{'User' if turn.role == 'user' else 'Assistant'}: {' '.join(turn.text.split())}"
        for turn in history[-_MAX_HISTORY_TURNS:]
    ]
    conversation = "\n".join(lines)
    user = (
        f"Conversation:\n{conversation}\n\nFollow-up question: {question.strip()}\n\n"
        "Standalone question:"
    )
    return [
        {"role": "system", "content": REWRITE_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def _clean(output: str, question: str) -> str | None:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return None
    text = re.sub(r"^(standalone question|pergunta)\s*:\s*", "", lines[0], flags=re.I)
    text = text.strip().strip("\"'“”").strip()
    if not text or len(text) > 4 * len(question) + 200:
        return None
    return text


def rewrite_question(
    question: str, history: Sequence[ChatTurn], *, model: _Completer | None = None
) -> Rewrite:
    """Rewrite a follow-up with ``model`` when given (heuristic if it fails), else heuristically."""
    if not looks_like_follow_up(question, history):
        return Rewrite(query=question.strip(), method="none")
    if model is not None:
        try:
            output = model.complete(_rewrite_messages(question, history), max_tokens=96)
        except InferenceError as exc:
            logger.warning("query rewrite by the model failed (%s); using the heuristic", exc.code)
        else:
            cleaned = _clean(output, question)
            if cleaned is not None:
                return Rewrite(query=cleaned, method="llm")
    return Rewrite(query=rewrite_heuristic(question, history), method="heuristic")
