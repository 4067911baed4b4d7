"""Parsing and checking of passage citations such as ``[1]``, ``[2][3]`` and ``[1, 2]``."""

from __future__ import annotations

import re

# One to three digits keeps bracketed years like "[2024]" out of the way.
_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]")
_MARKER_WITH_SPACE = re.compile(r"[ \t]*" + _MARKER.pattern)


def _numbers(group: str) -> list[int]:
    return [int(part) for part in group.split(",")]


def parse_citations(text: str) -> list[int]:
    """Return the cited passage numbers in order of first appearance, without repeats."""
    seen: dict[int, None] = {}
    for match in _MARKER.finditer(text):
        for number in _numbers(match.group(1)):
            seen.setdefault(number, None)
    return list(seen)


def check_citations(text: str, passage_count: int) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """Drop citations of passages that do not exist; return (text, valid, invalid) numbers."""
    valid: set[int] = set()
    invalid: set[int] = set()

    def rewrite(match: re.Match[str]) -> str:
        numbers = _numbers(match.group(1))
        kept = [number for number in numbers if 1 <= number <= passage_count]
        valid.update(kept)
        invalid.update(number for number in numbers if number not in kept)
        if len(kept) == len(numbers):
            return match.group(0)
        leading = match.group(0)[: match.group(0).index("[")]
        if not kept:
            # Keep the space when another marker follows: "a [9][2]" -> "a [2]".
            return leading if match.string.startswith("[", match.end()) else ""
        return f"{leading}[{', '.join(str(number) for number in kept)}]"

    checked = _MARKER_WITH_SPACE.sub(rewrite, text)
    return checked, tuple(sorted(valid)), tuple(sorted(invalid))
