"""The OCR settings: on unless turned off, languages checked, handed to the parsers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from webapp.config.settings import EnclaveSettings

OCR_VARIABLES = ("OCR", "OCR_COMMAND", "OCR_LANGUAGES", "OCR_MAX_PAGES", "CONFIG")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in OCR_VARIABLES:
        monkeypatch.delenv(f"ENCLAVE_{name}", raising=False)
    monkeypatch.setenv("ENCLAVE_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_ocr_is_on_with_english_and_portuguese_unless_set(clean_env, monkeypatch):
    parsing = EnclaveSettings().parsing_config()
    assert (parsing.ocr, parsing.ocr_command, parsing.ocr_languages, parsing.ocr_max_pages) == (
        True,
        "tesseract",
        "eng+por",
        100,
    )

    monkeypatch.setenv("ENCLAVE_OCR", "false")
    monkeypatch.setenv("ENCLAVE_OCR_COMMAND", "/opt/tesseract/bin/tesseract")
    monkeypatch.setenv("ENCLAVE_OCR_LANGUAGES", "por")
    monkeypatch.setenv("ENCLAVE_OCR_MAX_PAGES", "500")
    parsing = EnclaveSettings().parsing_config()
    assert (parsing.ocr, parsing.ocr_command, parsing.ocr_languages, parsing.ocr_max_pages) == (
        False,
        "/opt/tesseract/bin/tesseract",
        "por",
        500,
    )


@pytest.mark.parametrize("languages", ["-c tessedit_write_images=1", "eng+", "eng por", ""])
def test_languages_that_are_not_tesseract_names_are_refused(clean_env, monkeypatch, languages):
    monkeypatch.setenv("ENCLAVE_OCR_LANGUAGES", languages)

    with pytest.raises(ValidationError, match="ingestion.ocr_languages"):
        EnclaveSettings()
