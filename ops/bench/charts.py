"""Optional PNG charts: drawn only when matplotlib is already installed."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

__all__ = ["bar_chart"]


def bar_chart(values: Mapping[str, float], path: Path, *, title: str) -> str:
    """Draw a horizontal bar chart to ``path``; return a sentence saying what happened."""
    if importlib.util.find_spec("matplotlib") is None:
        return "skipped, matplotlib is not installed (the benchmarks do not install it)."
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 0.6 * len(values) + 1), dpi=100)
    axes.barh(list(values), list(values.values()))
    axes.invert_yaxis()
    axes.set_xlabel("chunks/s")
    axes.set_title(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
    return f"written to `{path.name}`."
