"""Benchmarks for Enclave's retrieval library; run by hand, never by the test suite.

- ``python -m ops.bench.ingest``: end-to-end ingestion vs raw model throughput.
- ``python -m ops.bench.search``: hybrid search latency on a scratch Qdrant Edge store.

Each writes a markdown report under ``ops/bench/results/``.
"""
