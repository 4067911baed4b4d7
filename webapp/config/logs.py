"""Request ids and the log line formats of every Enclave process (named in Django's LOGGING).

A request id follows one request through the web process, the worker tasks it sends
(a task header, ``worker/request_ids.py``) and the model server it calls (an
``X-Request-ID`` header). It lives in a context variable: each request, answer
stream and task has its own, and the filter below stamps it on every log record.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "REQUEST_ID",
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "RequestIdFilter",
    "accepted_request_id",
    "bound_request_id",
    "current_request_id",
    "request_id_headers",
]

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID: ContextVar[str | None] = ContextVar("enclave_request_id", default=None)

# What a client may send as its own id: what proxies and tracing tools make (UUIDs, hex,
# base64url, dotted or colon-separated ids), bounded, nothing that could forge a log
# line or a header (no spaces, quotes, newlines).
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

# A LogRecord's own attributes; any other attribute came from ``extra=`` (a context field),
# but for uvicorn's ``color_message`` (the message again, with terminal colour codes).
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "request_tag",
    "taskName",
    "color_message",
}


def current_request_id() -> str | None:
    """The id of the request (or the task it started) this code runs for, if any."""
    return REQUEST_ID.get()


def accepted_request_id(value: str | None) -> str:
    """``value`` when it is a well-formed id (1-128 safe characters), else a new one."""
    if value and _WELL_FORMED.fullmatch(value):
        return value
    return uuid.uuid4().hex


@contextmanager
def bound_request_id(value: str | None) -> Iterator[None]:
    """Run the block with ``value`` as the current request id (None: no id)."""
    token = REQUEST_ID.set(value)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


def request_id_headers() -> dict[str, str]:
    """``{"X-Request-ID": id}`` for an outgoing call made for the current request; else ``{}``."""
    value = REQUEST_ID.get()
    return {REQUEST_ID_HEADER: value} if value else {}


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on each record (``request_id``; ``request_tag`` for text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always True: it only adds the attributes."""
        value = getattr(record, "request_id", None) or REQUEST_ID.get()
        record.request_id = value
        record.request_tag = f"[{value}] " if value else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and context fields.

    Context fields are the ``extra=`` attributes a call passes (ids, counts, durations;
    never document text, prompts or answers, which are only logged at DEBUG).
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line["thread"] = record.threadName
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
