"""A tiny English/Portuguese detector, used to pick labels and fixed messages."""

from __future__ import annotations

import re
from typing import Literal

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PT_ACCENTS = set("ãõçáéíóúâêôà")
_PT_WORD_LIST = (
    "o a os as um uma uns umas de do da dos das no na nos nas em para por pelo pela "
    "que qual quais quando onde como quanto quantos quantas porque porquê não sim "
    "é são está estão ser ter tem têm há foi pode posso devo meu minha seu sua "
    "você vocês eu nós ele ela eles elas isso isto este esta esse essa com sem "
    "ao aos à às mais menos também já ainda sobre entre até após dias empresa"
)
_PT_WORDS = frozenset(_PT_WORD_LIST.split())
_EN_WORD_LIST = (
    "the a an of to in on at for by with from what which who whom whose when where "
    "why how is are was were be been do does did can could should would will my "
    "your our their his her it its this that these those and or not no yes i we "
    "you they have has had there about after before many much"
)
_EN_WORDS = frozenset(_EN_WORD_LIST.split())


def detect_language(text: str) -> Literal["en", "pt"]:
    """Guess whether ``text`` is Portuguese or English (English when unsure)."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    pt_score = sum(1 for word in words if word in _PT_WORDS)
    en_score = sum(1 for word in words if word in _EN_WORDS)
    pt_score += 2 * sum(1 for char in lowered if char in _PT_ACCENTS)
    return "pt" if pt_score > en_score else "en"
