"""Optical character recognition with Tesseract, for scanned PDF pages and images.

Tesseract runs as its own program, ``tesseract stdin stdout``: the page goes in
as an uncompressed PGM on its standard input and the text comes back on its
standard output. Nothing touches the disk, which the parser child may not
write to (``RLIMIT_FSIZE`` 0); that is why this is not pytesseract, whose every
call writes the image and the text to temporary files. Tesseract inherits the
child's memory limit; each page has its own time limit, and the number of
pages one document may need OCR for is bounded (``ParsingConfig.ocr_max_pages``).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.config import ParsingConfig
from retrieval.errors import DocumentTooLargeError, ParseError

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["Ocr", "OcrStatus", "ocr_status"]

logger = logging.getLogger(__name__)

NOT_INSTALLED = "OCR is not installed (tesseract-ocr)"
TURNED_OFF = "OCR is turned off"
# One thread per Tesseract: parsing runs beside embedding, and OpenMP's threads
# would only compete with it (Tesseract's own advice for running several at once).
_ENVIRONMENT = {"OMP_THREAD_LIMIT": "1"}
_PROBE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class OcrStatus:
    """Whether OCR can run: the program, its version and languages, or why not."""

    available: bool
    reason: str  # why not, for a failure message ("OCR is not installed (tesseract-ocr)")
    command: str = ""
    version: str = ""
    languages: tuple[str, ...] = ()


def ocr_status(config: ParsingConfig) -> OcrStatus:
    """Find Tesseract and check it has every configured language."""
    if not config.ocr:
        return OcrStatus(False, TURNED_OFF)
    command = shutil.which(config.ocr_command)
    if command is None:
        return OcrStatus(False, NOT_INSTALLED)
    try:
        version = _run_probe(command, "--version").splitlines()
        listed = _run_probe(command, "--list-langs").splitlines()
    except (OSError, subprocess.SubprocessError) as exc:
        return OcrStatus(False, f"OCR does not run ({config.ocr_command}: {exc})")
    installed = tuple(line.strip() for line in listed[1:] if line.strip())
    missing = [lang for lang in config.ocr_languages.split("+") if lang not in installed]
    if missing:
        packages = ", ".join(f"tesseract-ocr-{lang.replace('_', '-').lower()}" for lang in missing)
        return OcrStatus(False, f"OCR lacks the language data for {'+'.join(missing)} ({packages})")
    return OcrStatus(True, "", command, version[0].strip() if version else "tesseract", installed)


def _run_probe(command: str, flag: str) -> str:
    done = subprocess.run(
        [command, flag],
        capture_output=True,
        timeout=_PROBE_TIMEOUT_S,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        check=True,
    )
    # Older versions print --version on stderr.
    return (done.stdout or done.stderr).decode("utf-8", "replace")


def _environment() -> dict[str, str]:
    keep = {
        name: os.environ[name] for name in ("PATH", "LANG", "TESSDATA_PREFIX") if name in os.environ
    }
    return {**keep, **_ENVIRONMENT}


class Ocr:
    """Reads the images of one document, counting its pages against the limit."""

    def __init__(self, config: ParsingConfig, status: OcrStatus, *, label: str) -> None:
        self._config = config
        self._command = status.command
        self._label = label
        self.pages_read = 0

    @classmethod
    def for_document(cls, config: ParsingConfig, *, label: str) -> tuple[Ocr | None, str]:
        """An Ocr for one document, or None and the reason it cannot run."""
        status = ocr_status(config)
        if not status.available:
            logger.info("ocr unavailable: %s", status.reason)
            return None, status.reason
        return cls(config, status, label=label), ""

    def read(self, image: Image, *, dpi: int, page: int) -> str:
        """The text Tesseract reads on ``image`` (page ``page`` of the document)."""
        if self.pages_read >= self._config.ocr_max_pages:
            raise DocumentTooLargeError(
                f"The {self._label} has more pages without a text layer than OCR reads in "
                f"one document ({self._config.ocr_max_pages:,}, the limit)."
            )
        self.pages_read += 1
        pixels = io.BytesIO()
        image.convert("L").save(pixels, format="PPM")  # PGM: no compression to undo
        command = [self._command, "stdin", "stdout", "-l", self._config.ocr_languages]
        command += ["--dpi", str(max(70, min(dpi, 2400)))]
        try:
            done = subprocess.run(
                command,
                input=pixels.getvalue(),
                capture_output=True,
                timeout=self._config.ocr_page_timeout_s,
                env=_environment(),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise DocumentTooLargeError(
                f"OCR of page {page} of the {self._label} took longer than "
                f"{self._config.ocr_page_timeout_s:g} seconds (the limit)."
            ) from exc
        except OSError as exc:
            raise ParseError(
                f"The {self._label} could not be read: OCR did not start ({exc})."
            ) from exc
        if done.returncode != 0:
            reason = _last_line(done.stderr) or f"exit code {done.returncode}"
            raise ParseError(
                f"The {self._label} could not be read: OCR failed on page {page} ({reason})."
            )
        return done.stdout.decode("utf-8", "replace").replace("\f", "")


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1][:160] if lines else ""
