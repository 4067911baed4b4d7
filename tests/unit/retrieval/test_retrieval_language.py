"""Language detection and language-aware BM25 for English and Portuguese."""

from __future__ import annotations

import pytest

from retrieval import LanguageDetector, SparseConfig, SparseEncoder


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quantos dias de férias eu tenho por ano?", "pt"),
        ("teletrabalho", "pt"),
        ("reembolso de despesas", "pt"),
        ("How many days of annual leave do I get?", "en"),
        ("password policy", "en"),
        ("VPN", None),
        ("2024", None),
        ("", None),
    ],
)
def test_detects_english_and_portuguese_and_admits_doubt(text: str, expected: str | None) -> None:
    assert LanguageDetector().detect(text) == expected


def test_a_single_language_needs_no_detection() -> None:
    assert LanguageDetector(("pt",)).detect("anything at all") == "pt"


def test_unknown_language_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="de"):
        LanguageDetector(("en", "de"))


def test_portuguese_text_is_stemmed_as_portuguese() -> None:
    encoder = SparseEncoder()
    english_only = SparseEncoder(SparseConfig(detect_languages=()))

    document = encoder.encode_document("Os colaboradores solicitaram reembolsos das despesas")
    query = encoder.encode_query("reembolso de despesa")

    assert encoder.detect_language("reembolso de despesa") == "pt"
    assert query.values == (1.0, 1.0)
    assert set(query.indices) <= set(document.indices)
    # The English stemmer leaves "reembolsos"/"reembolso" apart and keeps "de".
    plain = english_only.encode_query("reembolso de despesa")
    assert not set(plain.indices) <= set(english_only.encode_document("reembolsos").indices)


def test_undetected_query_is_encoded_in_both_languages() -> None:
    encoder = SparseEncoder()
    english = encoder.encode_query("VPN e SSO", language="en")
    portuguese = encoder.encode_query("VPN e SSO", language="pt")

    both = encoder.encode_query("VPN e SSO")

    assert encoder.detect_language("VPN e SSO") is None
    assert set(english.indices) != set(portuguese.indices)  # "e" is a Portuguese stopword
    assert set(both.indices) == set(english.indices) | set(portuguese.indices)
    assert both.values == (1.0,) * len(both.indices)
