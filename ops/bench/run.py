"""Run the benchmarks one after another, each in its own process (``make bench``).

    python ops/bench/run.py                      # every benchmark, default sizes
    python ops/bench/run.py embedding search     # some of them
    python ops/bench/run.py --list

Each benchmark writes its markdown table under ops/bench/results/. They run in
sequence, never side by side: a benchmark sharing the cores with another
measures the other one too. A failing benchmark is reported and the rest go on;
the exit status says whether all of them passed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["BENCHMARKS", "main"]

REPO_ROOT = Path(__file__).resolve().parents[2]

# name -> (module, arguments, what it measures)
BENCHMARKS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "embedding": ("ops.bench.embedding", (), "torch fp32 vs onnx-int8 chunks/s, cosine"),
    "search": ("ops.bench.search", ("--chunks", "20000"), "search latency at 20k chunks"),
    "ingest": ("ops.bench.ingest", (), "ingestion chunks/s / raw encode, docs/s, peak RSS"),
    "overhead": ("ops.bench.overhead", (), "time Enclave adds before the first token"),
    "api_load": ("ops.bench.api_load", (), "REST API under 8 clients"),
    "load": (
        "ops.bench.api_load",
        (
            *("--clients", "50", "--duration", "60", "--standin"),
            *("--mix", "search=4,ask=2,chat=1,web=2,upload=1,documents=1"),
            *("--out", "ops/bench/results/load_50_users.md"),
        ),
        "50 users asking, searching and uploading (LLM stand-in)",
    ),
}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ops/bench/run.py", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks; 0 when every one of them finished."""
    args = _parse(argv)
    if args.list:
        for name, (module, arguments, what) in BENCHMARKS.items():
            print(f"{name:10} {what}  (python -m {module} {' '.join(arguments)})")
        return 0
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    failed = []
    for name in args.names or list(BENCHMARKS):
        module, arguments, what = BENCHMARKS[name]
        print(f"=== {name}: {what}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", module, *arguments], cwd=REPO_ROOT)
        took = time.perf_counter() - started
        print(f"=== {name}: exit {done.returncode} after {took:.0f} s", flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
