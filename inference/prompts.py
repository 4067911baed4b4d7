"""Chat prompt construction with a token budget."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from inference.budget import TokenCounter, count_message_tokens, estimate_tokens
from inference.errors import ContextOverflowError
from inference.models import ChatTurn, SourcePassage

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are Enclave, an assistant that answers employees' questions using only the "
    "numbered passages from the company's documents given in the user's message.\n"
    "Rules:\n"
    "- Answer ONLY from the numbered passages. Do not use outside knowledge.\n"
    "- Cite the passages you use right after the sentence they support, like [1] or [2][3].\n"
    "- Only cite passage numbers that appear in the message.\n"
    "- If the passages do not contain the answer, say that you don't know based on "
    "the available documents; do not guess.\n"
    "- Answer in the language of the question (for example, Portuguese questions get "
    "Portuguese answers).\n"
    "- Be concise."
)
_MIN_TRUNCATED_CHARS = 200
# Turn markers of chat templates: ChatML and Llama 3 (<|im_start|>, <|eot_id|>...),
# Llama 2 and Mistral ([INST], <<SYS>>, </s>), Gemma (<start_of_turn>). llama-server (as
# any server that renders the template to text first) tokenizes it with special tokens
# recognised, so such a marker in a document's text becomes a real turn boundary: a
# passage opened a system turn of its own and SmolLM2 obeyed it. The model sees them broken.
_CONTROL_MARKERS = re.compile(
    r"<\|[^|<>\s]{1,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>", re.IGNORECASE
)
_BROKEN = str.maketrans({"<": "‹", ">": "›", "|": "¦", "[": "(", "]": ")"})


@dataclass(frozen=True)
class Prompt:
    """Messages ready for a chat completion, and what survived the budget."""

    messages: list[dict[str, str]]
    passages_used: tuple[SourcePassage, ...]
    history_used: tuple[ChatTurn, ...]
    prompt_tokens: int


def neutralize_control_markers(text: str) -> str:
    """``text`` with chat-template turn markers broken, so that they stay plain text."""
    return _CONTROL_MARKERS.sub(lambda match: match.group(0).translate(_BROKEN), text)


def format_passage(passage: SourcePassage) -> str:
    """Render a passage as ``[n] title (p. X)`` followed by its text."""
    header = f"[{passage.number}] {passage.title}".rstrip()
    if passage.heading:
        header += f" — {passage.heading}"
    if passage.page is not None:
        header += f" (p. {passage.page})"
    return f"{header}\n{passage.text.strip()}"


def _user_message(question: str, passages: Sequence[SourcePassage]) -> str:
    blocks = "\n\n".join(format_passage(passage) for passage in passages)
    return f"Passages:\n\n{blocks}\n\nQuestion: {question.strip()}"


def _render(
    question: str, passages: Sequence[SourcePassage], history: Sequence[ChatTurn]
) -> list[dict[str, str]]:
    # Documents, and answers quoting them, are untrusted text: no turn markers.
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    messages += [
        {"role": turn.role, "content": neutralize_control_markers(turn.text)} for turn in history
    ]
    user = neutralize_control_markers(_user_message(question, passages))
    messages.append({"role": "user", "content": user})
    return messages


def clean_history(history: Sequence[ChatTurn]) -> list[ChatTurn]:
    """Merge repeated roles and trim so turns alternate user/assistant, as templates require."""
    turns: list[ChatTurn] = []
    for turn in history:
        if not turn.text.strip():
            continue
        if turns and turns[-1].role == turn.role:
            turns[-1] = ChatTurn(role=turn.role, text=f"{turns[-1].text}\n\n{turn.text}")
        else:
            turns.append(turn)
    return _trim_history(turns)


def _trim_history(turns: list[ChatTurn]) -> list[ChatTurn]:
    while turns and turns[0].role != "user":
        turns = turns[1:]
    while turns and turns[-1].role != "assistant":
        turns = turns[:-1]
    return turns


def build_prompt(
    *,
    question: str,
    passages: Sequence[SourcePassage],
    history: Sequence[ChatTurn],
    context_tokens: int,
    max_answer_tokens: int,
    count_tokens: TokenCounter | None = None,
) -> Prompt:
    """Build the prompt, dropping oldest history, then lowest-ranked passages, to fit."""
    counter = count_tokens or estimate_tokens
    budget = context_tokens - max_answer_tokens
    kept_history = clean_history(history)
    kept_passages = sorted(passages, key=lambda passage: passage.number)

    def size() -> int:
        return count_message_tokens(_render(question, kept_passages, kept_history), counter)

    while size() > budget and kept_history:
        kept_history = _trim_history(kept_history[1:])
    while size() > budget and len(kept_passages) > 1:
        kept_passages = kept_passages[:-1]
    if size() > budget and kept_passages:
        kept_passages = _truncate_first(question, kept_passages[0], budget, counter)
    used = size()
    if used > budget or (passages and not kept_passages):
        raise ContextOverflowError(
            f"The question is too long for the model's context window "
            f"({used} tokens estimated, {budget} available for the prompt)."
        )
    logger.debug(
        "prompt built: %s/%s passages, %s/%s history turns, %s tokens of %s",
        len(kept_passages),
        len(passages),
        len(kept_history),
        len(history),
        used,
        budget,
    )
    return Prompt(
        messages=_render(question, kept_passages, kept_history),
        passages_used=tuple(kept_passages),
        history_used=tuple(kept_history),
        prompt_tokens=used,
    )


def _truncate_first(
    question: str, passage: SourcePassage, budget: int, counter: TokenCounter
) -> list[SourcePassage]:
    """Cut the best passage's text to the longest prefix that fits (binary search)."""

    def fits(length: int) -> bool:
        candidate = _with_text(passage, passage.text[:length])
        return count_message_tokens(_render(question, [candidate], []), counter) <= budget

    low, high = 0, len(passage.text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    if low < min(_MIN_TRUNCATED_CHARS, len(passage.text)):
        return []
    return [_with_text(passage, passage.text[:low])]


def _with_text(passage: SourcePassage, text: str) -> SourcePassage:
    return SourcePassage(
        number=passage.number,
        text=text,
        title=passage.title,
        page=passage.page,
        heading=passage.heading,
    )
