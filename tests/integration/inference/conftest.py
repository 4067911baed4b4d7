"""Fixtures that run the OpenAI stand-in server as real separate processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Make `tests.standin` importable under plain `pytest` too (python -m pytest adds the cwd).
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.standin.process import start_standin, stop  # noqa: E402

StartStandin = Callable[..., tuple[str, "subprocess.Popen[str]"]]


@pytest.fixture
def standin() -> Iterator[StartStandin]:
    """Start stand-ins with ``standin(**opts) -> (base_url, process)``; all stop at teardown."""
    started: list[subprocess.Popen[str]] = []

    def start(port: int | None = None, **options: Any) -> tuple[str, subprocess.Popen[str]]:
        base_url, process = start_standin(port, **options)
        started.append(process)
        return base_url, process

    yield start
    for process in started:
        stop(process)
