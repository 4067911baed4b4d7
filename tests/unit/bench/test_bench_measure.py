"""Process memory read for the benchmarks from /proc/self/status."""

from __future__ import annotations

from ops.bench.measure import current_rss_mib, peak_rss_mib


def test_the_peak_is_at_least_the_current_resident_memory_and_grows_with_it() -> None:
    before = current_rss_mib()
    block = bytearray(64 * 1024 * 1024)  # 64 MiB, touched so that it is resident
    block[::4096] = b"\x01" * len(block[::4096])
    during = current_rss_mib()
    assert before > 0
    assert during >= before + 60
    assert peak_rss_mib() >= during
