"""Token estimates used to keep prompts inside the model's context window."""

from __future__ import annotations

import math
from collections.abc import Callable

TokenCounter = Callable[[str], int]

# Chat templates add a few tokens per message (role markers, separators).
MESSAGE_OVERHEAD_TOKENS = 8


def estimate_tokens(text: str) -> int:
    """Conservative token estimate: one token per three characters, rounded up."""
    return math.ceil(len(text) / 3)


def count_message_tokens(messages: list[dict[str, str]], count_tokens: TokenCounter) -> int:
    """Estimate the prompt size of chat ``messages`` including per-message overhead."""
    return sum(count_tokens(message["content"]) + MESSAGE_OVERHEAD_TOKENS for message in messages)
