"""Request ids: which incoming ids are kept, and the log lines that carry them (text and JSON)."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator

import pytest

from webapp.config.logs import (
    JsonFormatter,
    RequestIdFilter,
    accepted_request_id,
    bound_request_id,
    current_request_id,
    request_id_headers,
)

TEXT_FORMAT = "%(levelname)s %(name)s %(request_tag)s%(message)s"  # as LOGGING's, less the time


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """A logger writing through the request-id filter to a JSON and a text handler."""
    logger = logging.getLogger("tests.request_ids")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    json_out, text_out = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(json_out), logging.StreamHandler(text_out)]
    handlers[0].setFormatter(JsonFormatter())
    handlers[1].setFormatter(logging.Formatter(TEXT_FORMAT))
    for handler in handlers:
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
    yield logger, json_out, text_out
    for handler in handlers:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    "incoming",
    ["3f2b9c1e-7a4d-4c1b-9f0e-2d6a8b1c5e7f", "req.42:edge-7", "a", "A" * 128],
)
def test_a_well_formed_incoming_id_is_kept(incoming: str) -> None:
    assert accepted_request_id(incoming) == incoming


@pytest.mark.parametrize(
    "incoming",
    [None, "", "A" * 129, "two words", "id\nforged line", '"quoted"', "-leading-dash", "é"],
)
def test_a_missing_or_malformed_id_is_replaced_by_a_new_one(incoming: str | None) -> None:
    made = accepted_request_id(incoming)

    assert made != incoming and re.fullmatch(r"[0-9a-f]{32}", made)
    assert accepted_request_id(incoming) != made  # a fresh one each time


def test_log_lines_carry_the_current_id_in_json_and_in_text(lines) -> None:
    logger, json_out, text_out = lines
    logger.info("before any request")
    with bound_request_id("req-1"):
        logger.info("document %s indexed", 7, extra={"chunks": 12, "seconds": 0.5})
        assert request_id_headers() == {"X-Request-ID": "req-1"}
    logger.warning("after it")

    first, second, third = (json.loads(line) for line in json_out.getvalue().splitlines())
    assert "request_id" not in first
    assert {k: second[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "INFO",
        "logger": "tests.request_ids",
        "message": "document 7 indexed",
        "request_id": "req-1",
    }
    assert (second["chunks"], second["seconds"]) == (12, 0.5)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", second["time"])
    assert (third["level"], "request_id" in third) == ("WARNING", False)
    assert text_out.getvalue().splitlines() == [
        "INFO tests.request_ids before any request",
        "INFO tests.request_ids [req-1] document 7 indexed",
        "WARNING tests.request_ids after it",
    ]
    assert current_request_id() is None and request_id_headers() == {}


def test_an_exception_is_one_json_line_with_its_traceback(lines) -> None:
    logger, json_out, _text = lines
    try:
        raise ValueError("broken parser")
    except ValueError:
        logger.exception("ingestion failed")

    [line] = json_out.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == "ingestion failed"
    assert (
        record["exception"].startswith("Traceback")
        and "ValueError: broken parser" in record["exception"]
    )


def test_a_thread_does_not_see_another_threads_id(lines) -> None:
    logger, json_out, _text = lines

    def other() -> None:
        logger.info("other thread")

    with bound_request_id("req-main"):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        logger.info("main thread")

    by_message = {r["message"]: r for r in map(json.loads, json_out.getvalue().splitlines())}
    assert "request_id" not in by_message["other thread"]
    assert by_message["main thread"]["request_id"] == "req-main"
