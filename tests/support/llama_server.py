"""llama.cpp's ``llama-server`` serving SmolLM2-135M-Instruct, as a real process for tests.

The binary and the model come from ``ops/services/llama-server.sh`` (``make
llama-server`` builds the one and unpacks the other into a cache outside the
checkout); ``ENCLAVE_LLAMA_SERVER`` and ``ENCLAVE_LLAMA_MODEL`` point elsewhere.
Nothing here builds or downloads: a missing binary fails the tests in CI and skips
them elsewhere, with the command that makes it.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.environment import IN_CI
from tests.support.processes import terminate, wait_healthy
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "ops" / "services" / "llama-server.sh"
BUILD_COMMAND = "make llama-server"
MODEL_ALIAS = "smollm2-135m-instruct"
CONTEXT_TOKENS = 2048


def _cached(kind: str, variable: str) -> Path | None:
    """The path from ``variable``, else the script's cache (never building)."""
    if os.environ.get(variable):
        path = Path(os.environ[variable])
        return path if path.exists() else None
    found = subprocess.run(
        ["bash", str(SCRIPT), kind, "--cached"], capture_output=True, text=True, check=False
    )
    return Path(found.stdout.strip()) if found.returncode == 0 else None


def find_llama_files() -> tuple[Path, Path] | str:
    """(binary, GGUF), or why they are not there and how to make them."""
    binary = _cached("path", "ENCLAVE_LLAMA_SERVER")
    model = _cached("model", "ENCLAVE_LLAMA_MODEL")
    if binary is not None and model is not None:
        return binary, model
    missing = " and ".join(
        name for name, path in (("llama-server", binary), ("the SmolLM2 GGUF", model)) if not path
    )
    return f"{missing} not built/cached; run: {BUILD_COMMAND}"


def llama_files() -> tuple[Path, Path]:
    """(binary, GGUF) or the test's end: a failure in CI, a skip elsewhere."""
    found = find_llama_files()
    if not isinstance(found, str):
        return found
    reason = found
    if IN_CI:
        pytest.fail(f"CI must run the llama-server tests: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class LlamaServer:
    """One ``llama-server`` on a fixed loopback port (kept across restarts)."""

    binary: Path
    model: Path
    log_path: Path
    options: tuple[str, ...] = ()
    threads: int = 1
    context_tokens: int = CONTEXT_TOKENS
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def command(self) -> list[str]:
        """The server's command line: one slot, small context, loopback, no web UI."""
        threads = str(self.threads)
        return [
            str(self.binary),
            *("--model", str(self.model), "--alias", MODEL_ALIAS),
            *("--host", "127.0.0.1", "--port", str(self.port)),
            *("--ctx-size", str(self.context_tokens), "--parallel", "1"),
            # One thread by default: llama.cpp's threads spin while waiting for each
            # other, which collapses throughput on 2 cores shared with other work.
            *("--threads", threads, "--threads-batch", threads, "--threads-http", "2"),
            *("--no-webui", "--offline", "--no-warmup", "--metrics"),
            # On CPUs with AMX (this machine's Xeon) llama.cpp 0.3.36 repacks the weights
            # for its AMX kernels, which crash at the first inference (segfault in
            # ggml_backend_amx_mul_mat; llama.cpp issue 20824). No repacking, no crash.
            "--no-repack",
            *self.options,
        ]

    def start(self, timeout_s: float = 120.0) -> None:
        """Start and wait until ``GET /health`` says the model is loaded (200, not 503)."""
        # No LLAMA_ARG_* from the caller's environment: they would change the flags.
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMA_")}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=env
            )
        failure = wait_healthy(
            f"{self.root}/health",
            self.process,
            timeout_s=timeout_s,
            interval_s=0.2,
            probe_timeout_s=2,
        )
        if failure == "exited":
            raise RuntimeError(f"llama-server exited: {self.log_tail()}")
        if failure is not None:
            self.stop()
            raise RuntimeError(f"llama-server did not become healthy: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL, as a crash would: no goodbye to open connections."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM, then SIGKILL when it does not exit in time."""
        if self.process is None:
            return
        terminate(self.process, timeout_s=timeout_s)
        self.process = None

    def slot(self) -> dict[str, Any]:
        """The one slot's state (``GET /slots``): whether it is generating, last params."""
        slots = httpx.get(f"{self.root}/slots", timeout=5).json()
        assert len(slots) == 1, slots
        return slots[0]

    def counters(self) -> dict[str, float]:
        """llama-server's own counters (``GET /metrics``), without the ``llamacpp:`` prefix."""
        text = httpx.get(f"{self.root}/metrics", timeout=5).text
        return {
            name: float(value)
            for name, value in re.findall(r"^llamacpp:(\w+) (\S+)$", text, re.MULTILINE)
        }

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text`` in llama.cpp's own dialect, without BOS."""
        reply = httpx.post(f"{self.root}/tokenize", json={"content": text}, timeout=5)
        reply.raise_for_status()
        return reply.json()["tokens"]

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]
