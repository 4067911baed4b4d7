"""Answer speed with a CPU model: llama.cpp's ``llama-server`` behind ``enclave serve``.

Indexes the 18F handbook's travel-and-leave pages (../shared/eval) into a scratch
home, serves SmolLM2-135M-Instruct (Q4_1) with llama-server (from ``make
llama-server``) at 1 and at 2 threads, and asks six handbook questions through the
web chat (a signed-in session, ``POST /chat/ask``), each finding about six passages:
a typical RAG prompt. Reports, per thread count:

- prompt and generated tokens/s as llama-server counts them (``/metrics``, over the
  run: processed prompt tokens per second of prompt processing, generated tokens per
  second of generation);
- time to the first answer word through Enclave (request sent -> first ``delta``),
  and to the whole answer.

Run by hand, with a low priority, never by the test suite::

    nice -n 10 .venv/bin/python -m ops.bench.llm_cpu [--threads 1 2] [--eval-root DIR]

Writes ``ops/bench/results/llm_cpu.md``; the load average at the end is in it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ops.bench.corpus import DEFAULT_EVAL_ROOT
from ops.bench.measure import load_average
from tests.support.chat import iter_sse, login
from tests.support.llama_server import MODEL_ALIAS, LlamaServer, find_llama_files
from tests.support.server import ServeProcess, cli, process_env

RESULTS = Path(__file__).resolve().parent / "results" / "llm_cpu.md"
PAGES = "18f-handbook-markdown/pages/travel-and-leave"
USER, PASSWORD = "bench", "bench-password-1"
QUESTIONS = [
    "How many weeks of paid parental leave can an employee take?",
    "How do I get reimbursed for travel expenses?",
    "What is the voluntary leave transfer program?",
    "Who has to approve overtime?",
    "What should I do before going out of office?",
    "How do I request advanced sick leave?",
]
METRICS = (
    "prompt_tokens_total",
    "prompt_seconds_total",
    "tokens_predicted_total",
    "tokens_predicted_seconds_total",
)


@dataclass
class Asked:
    """One question through the web chat."""

    passages: int
    first_delta_s: float
    answer_s: float
    tokens_in: int
    tokens_out: int


def _metrics(llama: LlamaServer) -> dict[str, float]:
    found = llama.counters()
    return {name: found[name] for name in METRICS}


def _ask(chat: httpx.Client, question: str) -> Asked:
    sent = time.perf_counter()
    first = None
    passages = 0
    with chat.stream("POST", "/chat/ask", json={"question": question}) as response:
        for name, data in iter_sse(response.iter_text()):
            if name == "sources":
                passages = len(data["sources"])
            elif name == "delta" and first is None:
                first = time.perf_counter()
            elif name in ("done", "error"):
                done = data
    if "tokens_in" not in done or first is None:
        raise SystemExit(f"no answer from the model: {done}")
    return Asked(
        passages, first - sent, time.perf_counter() - sent, done["tokens_in"], done["tokens_out"]
    )


def _run(threads: int, home: Path, env: dict[str, str], files: tuple[Path, Path]) -> dict:
    llama = LlamaServer(*files, home / f"llama-{threads}.log", threads=threads, context_tokens=4096)
    llama.start()
    env = {**env, "ENCLAVE_LLM_ENDPOINTS": f"{llama.base_url}|{MODEL_ALIAS}"}
    serve = ServeProcess(env, home / f"serve-{threads}.log")
    serve.start()
    try:
        chat = login(serve.url, USER, PASSWORD)
        _ask(chat, "What is the travel card for?")  # warm-up: caches, the system prompt
        before = _metrics(llama)
        asked = [_ask(chat, question) for question in QUESTIONS]
        after = _metrics(llama)
        chat.close()
    finally:
        serve.stop()
        llama.stop()
    delta = {name: after[name] - before[name] for name in METRICS}
    return {
        "threads": threads,
        "asked": asked,
        "prompt_tps": delta["prompt_tokens_total"] / delta["prompt_seconds_total"],
        "gen_tps": delta["tokens_predicted_total"] / delta["tokens_predicted_seconds_total"],
    }


def _row(result: dict) -> str:
    asked: list[Asked] = result["asked"]
    first = [a.first_delta_s for a in asked]
    whole = [a.answer_s for a in asked]
    return (
        f"| {result['threads']} | {len(asked)} "
        f"| {statistics.mean(a.passages for a in asked):.1f} "
        f"| {statistics.mean(a.tokens_in for a in asked):.0f} "
        f"| {statistics.mean(a.tokens_out for a in asked):.0f} "
        f"| {result['prompt_tps']:.0f} | {result['gen_tps']:.1f} "
        f"| {statistics.median(first):.2f} | {max(first):.2f} "
        f"| {statistics.median(whole):.2f} | {max(whole):.2f} |"
    )


def main() -> None:
    """Index, then measure each thread count; print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--eval-root", type=Path, default=DEFAULT_EVAL_ROOT)
    args = parser.parse_args()
    files = find_llama_files()
    if isinstance(files, str):
        raise SystemExit(files)
    pages = args.eval_root / PAGES
    if not pages.is_dir():
        raise SystemExit(f"handbook pages not found: {pages}")
    home = Path(tempfile.mkdtemp(prefix="enclave-llm-bench-"))
    try:
        report = _measure(args.threads, pages, home, files)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(report)
    RESULTS.write_text(report)


def _measure(thread_counts: list[int], pages: Path, home: Path, files: tuple[Path, Path]) -> str:
    """Index the pages into ``home``, then one table row per thread count."""
    # A CPU model needs seconds per thousand prompt tokens: the 20 s default first-token
    # timeout is for GPUs.
    env = process_env(
        home,
        ENCLAVE_LLM_MAX_ANSWER_TOKENS="128",
        ENCLAVE_LLM_FIRST_TOKEN_TIMEOUT_S="300",
        ENCLAVE_LLM_REQUEST_TIMEOUT_S="600",
    )
    cli(["ingest", str(pages), "--collection", "Handbook", "--group", "staff"], env, timeout_s=1800)
    cli(["user", USER, "--password", PASSWORD, "--group", "staff"], env)
    rows = [_row(_run(threads, home, env, files)) for threads in thread_counts]
    header = (
        "| llama.cpp threads | questions | passages in the prompt | prompt tokens "
        "| answer tokens | prompt tokens/s | generated tokens/s | first word p50 s "
        "| first word max s | whole answer p50 s | whole answer max s |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    return (
        "# A CPU model through Enclave: llama-server with SmolLM2-135M-Instruct\n\n"
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores "
        "shared with other work; llama-server (llama.cpp from llama-cpp-python 0.3.36, "
        "-DGGML_NATIVE=ON), "
        "SmolLM2-135M-Instruct Q4_1, --ctx-size 4096 --parallel 1 --no-repack; "
        f"niceness {os.nice(0)}; `enclave serve` "
        "embedded (SQLite, Qdrant Edge, MiniLM int8) over the 18F handbook's "
        "travel-and-leave pages; answers up to 128 tokens; six questions after one "
        "warm-up, asked one at a time through the signed-in web chat. Tokens/s are "
        "llama-server's own counters over the six answers; times are measured by the "
        "client from sending the question. Load average at the end: "
        f"{load_average()}.\n\n{header}\n" + "\n".join(rows) + "\n"
    )


if __name__ == "__main__":
    main()
