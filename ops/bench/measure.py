"""Process measurements for the benchmarks: peak RSS, load average and percentiles."""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Sequence
from pathlib import Path

__all__ = ["current_rss_mib", "load_average", "peak_rss_mib", "percentile", "reset_peak_rss"]

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_mib(field: str) -> float | None:
    """A ``/proc/self/status`` memory field (e.g. ``VmRSS``) in MiB; None when unreadable."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (VmHWM, else getrusage)."""
    peak = _status_mib("VmHWM")
    if peak is not None:
        return peak
    # ru_maxrss is KiB on Linux; it cannot be reset.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident memory of this process now, in MiB (0.0 when /proc is unavailable)."""
    current = _status_mib("VmRSS")
    return 0.0 if current is None else current


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False if not possible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def load_average() -> str:
    """The 1, 5 and 15 minute load averages as text."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``q`` % of values <= it."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[rank - 1]
