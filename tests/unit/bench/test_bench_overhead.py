"""The overhead benchmark's questions never repeat within a run, and CPU time is read right."""

from __future__ import annotations

import os
import time

from ops.bench.overhead import CLOSINGS, OPENINGS, QUESTIONS, cpu_seconds, question


def test_every_request_of_a_run_asks_a_different_question():
    count = len(OPENINGS) * len(QUESTIONS) * len(CLOSINGS)
    asked = [question(i) for i in range(count)]

    assert count == 1536
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
