"""``make bench``'s runner and the benchmarks' refusal without evaluation data."""

from __future__ import annotations

import pytest

from ops.bench import run, search


def test_the_runner_lists_every_benchmark(capsys):
    assert run.main(["--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ["embedding", "search", "ingest", "overhead", "api_load", "load"]


def test_the_runner_refuses_an_unknown_benchmark_before_running_any(capsys):
    assert run.main(["embedding", "nope"]) == 2
    captured = capsys.readouterr()
    assert "unknown benchmark(s): nope" in captured.err
    assert "===" not in captured.out


def test_the_search_benchmark_says_the_evaluation_data_is_missing(tmp_path):
    with pytest.raises(SystemExit) as stopped:
        search.main(["--eval-root", str(tmp_path), "--chunks", "10"])
    assert str(stopped.value).startswith(f"no 18F handbook pages under {tmp_path}")
