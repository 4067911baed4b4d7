"""Citation markers such as ``[1]``, ``[2][3]`` and ``[1, 2]``: parsing, checking, renumbering.

Renumbering gives the passages an answer cites the numbers 1, 2, ... in the order the
answer first cites them, drops markers of passages that were not given, and works on
a stream: :class:`CitationRenumbering` holds back only what may still become a marker
(an open ``[`` and the spaces before it), so streamed deltas and the final text agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "CITATION_MARKER",
    "CitationRenumbering",
    "check_citations",
    "parse_citations",
    "renumber_citations",
    "source_order",
]

# A citation marker: [1], [1, 2]; group 1 holds the numbers. One to three digits keeps
# bracketed years like "[2024]" out of the way. Every reader of answers uses this one.
CITATION_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]")
_MARKER_WITH_SPACE = re.compile(r"[ \t]*" + CITATION_MARKER.pattern)
# What may still grow into a marker: "[", "[1", "[1, 2" ...
_MARKER_PREFIX = re.compile(r"\[[\d,\s]{0,24}")
_TRAILING_SPACE = re.compile(r"[ \t]*$")


def _numbers(group: str) -> list[int]:
    return [int(part) for part in group.split(",")]


def parse_citations(text: str) -> list[int]:
    """Return the cited passage numbers in order of first appearance, without repeats."""
    seen: dict[int, None] = {}
    for match in CITATION_MARKER.finditer(text):
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


class CitationRenumbering:
    """Renumbers the markers of a streamed answer by first use; drops invalid ones.

    ``feed`` takes raw deltas and returns the text that can be shown now; ``finish``
    returns what was held back. ``order`` lists the given passage numbers in the
    order of their new numbers (``order[0]`` is now [1]); ``invalid`` the numbers
    cited that no passage has.
    """

    def __init__(self, numbers: int | Iterable[int]) -> None:
        """``numbers``: the passage numbers given (or their count: 1..count)."""
        self._valid = frozenset(range(1, numbers + 1) if isinstance(numbers, int) else numbers)
        self._pending = ""
        # Spaces left by a dropped marker: kept only if another marker follows them.
        self._orphan_space = ""
        self._new: dict[int, int] = {}
        self.order: list[int] = []
        self.invalid: list[int] = []

    def feed(self, piece: str) -> str:
        """The part of the text so far that is final (markers renumbered)."""
        self._pending += piece
        out: list[str] = []
        while self._pending:
            start = self._pending.find("[")
            if start < 0:
                head = _TRAILING_SPACE.sub("", self._pending)
                out.append(self._text(head))
                self._pending = self._pending[len(head) :]
                break
            before = self._pending[:start]
            spaces = before[len(before.rstrip(" \t")) :]
            text = before[: len(before) - len(spaces)]
            match = CITATION_MARKER.match(self._pending, start)
            if match is not None:
                out.append(self._text(text))
                out.append(self._marker(spaces or self._orphan_space, _numbers(match.group(1))))
                self._pending = self._pending[match.end() :]
                continue
            prefix = _MARKER_PREFIX.match(self._pending, start)
            if prefix is not None and prefix.end() == len(self._pending):
                # "[1" at the end: it may still become a marker; hold it with its spaces.
                out.append(self._text(text))
                self._pending = self._pending[len(text) :]
                break
            out.append(self._text(self._pending[: start + 1]))
            self._pending = self._pending[start + 1 :]
        return "".join(out)

    def finish(self) -> str:
        """Whatever was held back (an unfinished marker stays plain text)."""
        rest, self._pending = self._pending, ""
        return self._text(rest) if rest.strip() else ""

    def _text(self, text: str) -> str:
        """Plain text: spaces a dropped marker left go with it (unless nothing follows yet)."""
        if text:
            self._orphan_space = ""
        return text

    def _marker(self, spaces: str, numbers: list[int]) -> str:
        kept: list[int] = []
        for number in numbers:
            if number not in self._valid:
                if number not in self.invalid:
                    self.invalid.append(number)
                continue
            if number not in self._new:
                self.order.append(number)
                self._new[number] = len(self.order)
            if self._new[number] not in kept:
                kept.append(self._new[number])
        self._orphan_space = ""
        if not kept:
            self._orphan_space = spaces  # "a [9][2]" -> "a [2]": the next marker takes them
            return ""
        return f"{spaces}[{', '.join(str(number) for number in kept)}]"


def renumber_citations(text: str, numbers: int | Iterable[int]) -> tuple[str, list[int], list[int]]:
    """``text`` with markers renumbered by first use: (text, order, invalid), as streamed."""
    renumbering = CitationRenumbering(numbers)
    renumbered = renumbering.feed(text) + renumbering.finish()
    return renumbered, renumbering.order, renumbering.invalid


def source_order(cited: list[int], numbers: int | Iterable[int]) -> tuple[int, ...]:
    """Every passage number: the cited ones in citation order, then the others by rank."""
    given = range(1, numbers + 1) if isinstance(numbers, int) else sorted(set(numbers))
    return (*cited, *(number for number in given if number not in cited))
