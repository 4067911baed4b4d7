"""Language detection for chunks and queries, limited to the languages we stem for.

Uses lingua (Apache-2.0; it ships its n-gram models inside the wheel, so it
works offline) restricted to the configured languages. Measured here on 900
FaQuAD questions and 1,109 SciFact claims, English vs Portuguese: 99.7% right
on each, and one-word queries such as "teletrabalho" or "senha" come out
right, where a stopword-ratio heuristic has nothing to count.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

__all__ = ["LANGUAGE_CODES", "LanguageDetector"]

logger = logging.getLogger(__name__)

# ISO 639-1 code -> the Snowball language name qdrant_edge's Bm25Config takes.
LANGUAGE_CODES: dict[str, str] = {"en": "english", "pt": "portuguese"}


class LanguageDetector:
    """Tells which of ``languages`` (ISO 639-1 codes) a text is written in, or None if unsure."""

    def __init__(self, languages: Sequence[str] = ("en", "pt"), *, min_confidence: float = 0.7):
        unknown = [code for code in languages if code not in LANGUAGE_CODES]
        if unknown:
            raise ValueError(f"Unsupported languages: {unknown}; known: {sorted(LANGUAGE_CODES)}")
        if not languages:
            raise ValueError("At least one language is required")
        self.languages = tuple(languages)
        self._min_confidence = min_confidence

    def detect(self, text: str) -> str | None:
        """Return the language code of ``text``, or None when no language is clearly ahead."""
        if len(self.languages) == 1:
            return self.languages[0]
        if not any(ch.isalpha() for ch in text):
            return None
        detector = _lingua_detector(self.languages)
        values = detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        if best.value < self._min_confidence:
            return None
        code: str = best.language.iso_code_639_1.name.lower()
        return code


# functools.cache does not hold back a second caller while the first builds: two
# ingestion threads starting together each loaded the models (about 1 s of CPU each).
_BUILDING = threading.Lock()


def _lingua_detector(languages: tuple[str, ...]) -> Any:
    with _BUILDING:
        return _built_detector(languages)


@cache
def _built_detector(languages: tuple[str, ...]) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
    # Preloading keeps the first query fast; two languages take a few MB.
    detector = (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_preloaded_language_models()
        .build()
    )
    logger.info("language detector loaded languages=%s", ",".join(languages))
    return detector
