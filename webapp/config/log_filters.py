"""Logging filters of Enclave's processes (named in Django's LOGGING)."""

from __future__ import annotations

import logging
from pathlib import PurePath

__all__ = ["DropQuantizerChatter"]


class DropQuantizerChatter(logging.Filter):
    """Drop onnxruntime's quantizer lines below ERROR.

    The int8 export of the embedding model (once per model) makes onnxruntime's
    quantizer log about 40 lines on the root logger ("Quantization parameters
    for tensor ... not specified", a pre-processing hint): noise that buried the
    first admin password printed by ``enclave serve``. Errors still show.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a root-logger record below ERROR from onnxruntime's quantization code."""
        if record.levelno >= logging.ERROR or record.name != "root":
            return True
        parts = PurePath(record.pathname).parts
        return not ("onnxruntime" in parts and "quantization" in parts)
