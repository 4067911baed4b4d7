"""A small grounded prompt that the wire-protocol tests send through third-party clients."""

from __future__ import annotations

from inference import SourcePassage, build_prompt

OFFICE_HOURS_MESSAGES = build_prompt(
    question="When does the office open?",
    passages=[SourcePassage(1, "The office opens at 9am. It closes at 6pm.", "Handbook", 1)],
    history=[],
    context_tokens=8192,
    max_answer_tokens=256,
).messages
