"""The quantizer's chatter is dropped from the logs; everything else, and its errors, stay."""

from __future__ import annotations

import logging

import onnxruntime.quantization.onnx_quantizer as quantizer_module

from webapp.config.log_filters import DropQuantizerChatter


def _record(name: str, level: int, pathname: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, pathname, 1, "message", None, None)


def test_onnxruntime_quantizer_info_and_warnings_are_dropped_errors_kept():
    quantizer = quantizer_module.__file__
    keep = DropQuantizerChatter().filter

    assert keep(_record("root", logging.INFO, quantizer)) is False
    assert keep(_record("root", logging.WARNING, quantizer)) is False
    assert keep(_record("root", logging.ERROR, quantizer)) is True
    assert keep(_record("retrieval.embedding_onnx", logging.INFO, quantizer)) is True
    assert keep(_record("root", logging.INFO, "/srv/enclave/webapp/runtime.py")) is True
