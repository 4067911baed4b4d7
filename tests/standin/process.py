"""Start and stop the OpenAI stand-in as a separate process (for tests and benchmarks)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.processes import terminate

SCRIPT = Path(__file__).with_name("openai_standin.py")


def _flags(options: dict[str, Any]) -> list[str]:
    flags: list[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value not in (None, False):
            flags += [flag, str(value)]
    return flags


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stand-in exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise RuntimeError(f"stand-in did not become healthy at {url} within {timeout_s}s")


def start_standin(
    port: int | None = None, *, timeout_s: float = 10.0, **options: Any
) -> tuple[str, subprocess.Popen[str]]:
    """Start a stand-in (free port when ``port`` is None); return (base_url with /v1, process).

    ``options`` map to command-line flags: ``model``, ``delay_ms``, ``fail_mode``,
    ``max_model_len``, ``verbose``.
    """
    command = [sys.executable, str(SCRIPT), "--port", str(port or 0), *_flags(options)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("LISTENING "):
        stop(process)
        raise RuntimeError(f"stand-in did not start: {line!r}")
    root = f"http://127.0.0.1:{int(line.split()[1])}"
    try:
        _wait_healthy(f"{root}/health", process, timeout_s)
    except RuntimeError:
        stop(process)
        raise
    return f"{root}/v1", process


def stop(process: subprocess.Popen[str], timeout_s: float = 5.0) -> None:
    """Terminate the stand-in (kill it if it does not exit in time)."""
    if process.poll() is None:
        terminate(process, timeout_s=timeout_s)
    if process.stdout is not None:
        process.stdout.close()


def standin_stats(base_url: str, *, connections: bool = False) -> dict[str, int]:
    """The stand-in's counters (``GET /standin/stats``); ``base_url`` with or without /v1.

    Connections are left out unless asked for: each call opens one of its own.
    """
    root = base_url.removesuffix("/").removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/standin/stats", timeout=5) as response:
        stats: dict[str, int] = json.loads(response.read())
    if not connections:
        del stats["connections"]
    return stats


def _post(base_url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    root = base_url.removesuffix("/").removesuffix("/v1")
    request = urllib.request.Request(f"{root}{path}", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        reply: dict[str, Any] = json.loads(response.read())
    return reply


def standin_prompts(base_url: str) -> list[list[dict[str, Any]]]:
    """The messages of every chat request the stand-in got so far (``GET /standin/prompts``)."""
    root = base_url.removesuffix("/").removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/standin/prompts", timeout=5) as response:
        prompts: list[list[dict[str, Any]]] = json.loads(response.read())["prompts"]
    return prompts


def standin_echo(base_url: str, echo: bool) -> None:
    """Make the stand-in answer with everything it was shown (or stop doing so)."""
    _post(base_url, "/standin/echo", {"echo": echo})


def standin_request_ids(base_url: str) -> list[str | None]:
    """Each chat request's ``X-Request-ID`` header so far, oldest first (None: not sent)."""
    root = base_url.removesuffix("/").removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/standin/request-ids", timeout=5) as response:
        ids: list[str | None] = json.loads(response.read())["request_ids"]
    return ids
