"""Child servers of the tests and benchmarks: wait until one answers, stop one for good."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_healthy(
    url: str,
    process: subprocess.Popen,
    *,
    timeout_s: float,
    interval_s: float = 0.3,
    probe_timeout_s: float = 1.0,
) -> str | None:
    """Poll ``url`` until it answers 200 (None), else why not: "exited" or "timed out"."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return "exited"
        try:
            if httpx.get(url, timeout=probe_timeout_s).status_code == 200:
                return None
        except httpx.HTTPError:
            pass
        time.sleep(interval_s)
    return "timed out"


def terminate(process: subprocess.Popen, *, timeout_s: float) -> None:
    """SIGTERM, then SIGKILL when it does not exit within ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
