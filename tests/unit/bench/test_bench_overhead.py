"""The overhead benchmark: questions never repeat, CPU time and first deltas are read right."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from ops.bench.overhead import (
    CLOSINGS,
    OPENINGS,
    QUESTIONS,
    Level,
    Row,
    _ask,
    _ingestion_note,
    _write_documents,
    cpu_seconds,
    question,
)

HOLD_S = 0.3


class _SlowAnswer(BaseHTTPRequestHandler):
    """Reads the question, waits HOLD_S, then streams a delta and a done event."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(HOLD_S)
        done = {"retrieval_ms": 1.5, "retrieval_cpu_ms": 0.75, "first_token_ms": 2.5}
        body = f"event: delta\ndata: {{}}\n\nevent: done\ndata: {json.dumps(done)}\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())


def test_every_request_of_a_run_asks_a_different_question():
    count = len(OPENINGS) * len(QUESTIONS) * len(CLOSINGS)
    asked = [question(i) for i in range(count)]

    assert count == 1920
    assert len(set(asked)) == count
    assert question(0) == QUESTIONS[0]
    assert (
        question(len(QUESTIONS)) == "Quick question: " + QUESTIONS[0][0].lower() + QUESTIONS[0][1:]
    )


def test_cpu_seconds_counts_this_process_working():
    before = cpu_seconds(os.getpid())
    started = time.process_time()
    while time.process_time() - started < 0.2:
        sum(range(1000))
    spent = cpu_seconds(os.getpid()) - before

    assert 0.1 <= spent <= 5.0


def test_a_first_delta_is_timed_from_the_request_on_the_wire():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def ask() -> object:
        url = f"http://127.0.0.1:{server.server_port}"
        async with httpx.AsyncClient(base_url=url) as client:
            return await _ask(client, "Who approves travel?")

    try:
        sample = asyncio.run(ask())
    finally:
        server.shutdown()

    assert sample.first_delta_ms >= HOLD_S * 1000  # the server's time is all counted
    assert 0 <= sample.send_delay_ms < sample.first_delta_ms
    assert (sample.retrieval_ms, sample.server_first_token_ms) == (1.5, 2.5)
    assert sample.retrieval_cpu_ms == 0.75


def test_the_ingesting_row_reads_its_p95_against_the_same_chats_idle(tmp_path):
    idle = Row(Level(32, 320), "| idle |", 100.0)
    busy = Row(Level(32, 320, ingesting=500), "| busy |", 150.0, waiting=(480, 300))
    bursts = Row(Level(32, 320, bursts=True), "| bursts |", 400.0)

    note = _ingestion_note([bursts, idle, busy])

    assert note == (
        "While 500 documents were ingested: first delta p95 150.0 ms = 1.50x the idle "
        "row's 100.0 ms; 180 documents were indexed during the row (480 waiting at its "
        "start, 300 at its end).\n"
    )


def test_the_ingested_documents_are_distinct_pages(tmp_path):
    paths = _write_documents(tmp_path / "pages", 40)

    assert len(paths) == 40
    assert len({p.read_text() for p in paths}) == 40
    assert paths[7].read_text().startswith("# Handbook page 7\n")
