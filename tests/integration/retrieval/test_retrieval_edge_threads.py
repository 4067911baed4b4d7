"""Qdrant Edge's search pool has as many threads as configured (one by default).

A query holds Python's GIL while Edge's pool works, so in a busy web process every
hand-off to the pool stalls the other requests; ops/bench/overhead.py measures it.
Each case runs in its own process, where no other shard's threads can be counted.
The pool's threads start lazily and, on a loaded machine, some time after the
shard opens: the child searches once, then polls (with a deadline) until the
count reaches the configured value; with Edge's own default it would settle on
several threads per CPU and never read as configured.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

COUNT_SEARCH_THREADS = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from retrieval import SearchConfig, SparseVector, StoreConfig, open_store

    def search_threads():
        names = []
        for task in os.listdir("/proc/self/task"):
            try:
                names.append(Path(f"/proc/self/task/{task}/comm").read_text())
            except FileNotFoundError:  # a thread that just ended
                pass
        return sum(name.startswith("edge-search") for name in names)

    before = search_threads()
    config = StoreConfig(kind="edge", path=Path(sys.argv[1]), edge_search_threads=int(sys.argv[2]))
    store = open_store(config, dimension=4)
    store.search(
        dense=[1.0, 0.0, 0.0, 0.0], sparse=SparseVector(indices=(), values=()),
        allowed_group_ids=[1], collection_ids=None, limit=1, config=SearchConfig(),
    )
    deadline = time.monotonic() + 20
    while search_threads() != int(sys.argv[2]) and time.monotonic() < deadline:
        time.sleep(0.05)
    print(before, search_threads())
    store.close()
    """
)


def _search_threads(path: Path, threads: int) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_SEARCH_THREADS, str(path), str(threads)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, after = done.stdout.split()
    return int(before), int(after)


def test_the_search_pool_has_the_configured_threads_at_create_and_at_load(tmp_path):
    shard = tmp_path / "edge"

    assert _search_threads(shard, 1) == (0, 1)  # created
    assert _search_threads(shard, 3) == (0, 3)  # loaded: the value given wins over the stored one
    assert _search_threads(shard, 1) == (0, 1)
