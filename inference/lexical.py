"""Light lexical analysis (EN+PT) for the extractive backend: sentences, terms, overlap."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-ZÀ-Ý0-9])|\n\s*\n|\n(?=\s*[-*•]\s)")
_TERM = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORD_LIST = (
    # English
    "a an the and or but if of to in on at by for with from into about as is are was were be "
    "been being do does did have has had i you he she it we they me my your our their its "
    "this that these those what which who whom whose when where why how can could should "
    "would will shall may might must not no yes so than then there here any all some each "
    "much many more most get got please tell know "
    # Portuguese (accents already stripped)
    "o os um uma uns umas de do da dos das no na nos nas em para por pelo pela pelos pelas "
    "que qual quais quando onde como quanto quantos quantas porque nao sim e sao esta estao "
    "ser ter tem tenho ha foi pode posso devo meu minha seu sua voce voces eu nos ele ela eles "
    "elas isso isto este esse essa com sem ao aos as mais menos tambem ja ainda sobre entre "
    "ate se me te lhe"
)
_STOPWORDS = frozenset(_STOPWORD_LIST.split())
_SUFFIXES = (
    ("coes", "cao"),
    ("mente", ""),
    ("ies", "y"),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)
_STEM_LENGTH = 7


def split_sentences(text: str) -> list[str]:
    """Split passage text into sentences (and list items), whitespace collapsed."""
    pieces = _SENTENCE_END.split(text.strip())
    return [" ".join(piece.split()) for piece in pieces if piece and piece.strip()]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def stem(word: str) -> str:
    """Very light EN/PT stemmer: common suffixes off, then a fixed-length prefix."""
    for suffix, replacement in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    return word[:_STEM_LENGTH]


def terms(text: str) -> list[str]:
    """Content terms of ``text``: folded, stopwords removed, stemmed."""
    return [stem(word) for word in _TERM.findall(_fold(text)) if word not in _STOPWORDS]


def overlap_scores(question: str, sentences: Sequence[str]) -> list[float]:
    """Score sentences by IDF-weighted overlap with the question's terms."""
    query = set(terms(question))
    sentence_terms = [set(terms(sentence)) for sentence in sentences]
    count = len(sentences)
    scores = []
    for bag in sentence_terms:
        score = 0.0
        for term in query & bag:
            frequency = sum(1 for other in sentence_terms if term in other)
            score += math.log(1 + count / frequency)
        scores.append(score / math.sqrt(1 + len(bag)) if score else 0.0)
    return scores
