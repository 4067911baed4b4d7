"""Light lexical analysis (EN+PT): sentences, statements, terms, overlap and coverage."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-ZÀ-Ý0-9])|\n\s*\n|\n(?=\s*[-*•]\s)")
_TERM = re.compile(r"[^\W_]+", re.UNICODE)
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)]|[a-z][.)])\s+")
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
# A statement has at least this many words; a line this short without a stop is a heading.
MIN_STATEMENT_WORDS = 5
_HEADING_WORDS = 10
_STOPS = ".!?"
# A "sentence" this long was not split: lowercased text (no capital after the stop).
_LONG_WORDS = 40
_ANY_STOP = re.compile(r"(?<=[.!?])\s+(?=[^\W\d_])")


def split_sentences(text: str) -> list[str]:
    """Split passage text into sentences (and list items), whitespace collapsed."""
    pieces = _SENTENCE_END.split(text.strip())
    return [" ".join(piece.split()) for piece in pieces if piece and piece.strip()]


def _heading_line(line: str) -> bool:
    words = _WORD.findall(line)
    stripped = line.strip()
    if stripped.startswith("#"):
        return True
    if not words or stripped[-1:] in _STOPS + ",;:" or len(words) > _HEADING_WORDS:
        return False
    capitalised = sum(1 for word in words if word[:1].isupper() or word[:1].isdigit())
    return capitalised * 2 >= len(words) or len(words) < MIN_STATEMENT_WORDS


def _lines_as_blocks(text: str) -> str:
    """Put heading-like lines (PDF and Markdown titles) in blocks of their own."""
    lines = text.splitlines()
    out: list[str] = []
    for line in lines:
        if _heading_line(line):
            out += ["", line, ""]
        else:
            out.append(line)
    return "\n".join(out)


def is_statement(sentence: str, *, titles: Sequence[str] = ()) -> bool:
    """True for a sentence worth quoting: not a heading, a bare title, a label or a fragment."""
    text = _LIST_MARK.sub("", sentence).strip()
    if not text or text.startswith("#"):
        return False
    words = _WORD.findall(text)
    if len(words) < MIN_STATEMENT_WORDS:
        return False
    if titles and _is_title(words, titles):
        return False
    if text[-1] in _STOPS:
        return True
    # No full stop: a long line (a sentence cut by the chunker) passes; a short one is a label.
    return len(words) > _HEADING_WORDS


def _is_title(words: Sequence[str], titles: Sequence[str]) -> bool:
    folded = " ".join(_fold(word) for word in words)
    return any(folded == " ".join(_fold(w) for w in _WORD.findall(title)) for title in titles)


def strip_list_mark(text: str) -> str:
    """``text`` without a leading list mark ("- ", "2. ", "b) ") and outer spaces."""
    return _LIST_MARK.sub("", text).strip()


def _split_long(sentence: str) -> list[str]:
    if len(sentence.split()) <= _LONG_WORDS:
        return [sentence]
    return [piece for piece in _ANY_STOP.split(sentence) if piece]


def statements(text: str, *, titles: Sequence[str] = ()) -> list[str]:
    """The quotable sentences of a passage, in order (headings and fragments left out)."""
    sentences = [piece for s in split_sentences(_lines_as_blocks(text)) for piece in _split_long(s)]
    return [_LIST_MARK.sub("", s) for s in sentences if is_statement(s, titles=titles)]


def _fold(text: str) -> str:
    if text.isascii():  # nothing to decompose, no accents to drop
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Very light EN/PT stemmer: common suffixes off, then a fixed-length prefix.

    Cached (65,536 words at most): the same words come back in every passage and
    answer, and the suffix loop was most of the support check's and the passage
    marks' word handling.
    """
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


def coverage_scores(question: str, sentences: Sequence[str]) -> list[float]:
    """Share (0-1) of the question's terms each sentence contains, rarer terms weighing more.

    Rarity is counted over ``sentences``: a term every sentence has says little.
    """
    query = set(terms(question))
    bags = [set(terms(sentence)) for sentence in sentences]
    if not query or not bags:
        return [0.0] * len(bags)
    weight = {t: math.log(1 + (len(bags) + 1) / (1 + sum(t in b for b in bags))) for t in query}
    total = sum(weight.values())
    return [sum(weight[t] for t in query & bag) / total for bag in bags]


def containment_scores(sentence: str, texts: Sequence[str]) -> list[float]:
    """Share (0-1) of the sentence's terms found in each text (1.0: all its words are there)."""
    own = set(terms(sentence))
    if not own:
        return [0.0] * len(texts)
    return [len(own & set(terms(text))) / len(own) for text in texts]
