"""Options shared by ``enclave eval retrieval`` and ``enclave eval answers``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = ["dataset_option", "embedding_cache_option", "eval_root_option"]


def dataset_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--dataset``: the required path of what is evaluated; ``help_text`` says which kinds."""
    return click.option(
        "--dataset",
        required=True,
        type=click.Path(exists=True, path_type=Path),
        help=help_text,
    )


eval_root_option = click.option(
    "--eval-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: Path(os.environ.get("ENCLAVE_EVAL_DATA", "../shared/eval")),
    help="Where a question set's documents are (env ENCLAVE_EVAL_DATA; default ../shared/eval).",
)

embedding_cache_option = click.option(
    "--embedding-cache",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A .npz file of passage vectors reused between runs (queries are always encoded).",
)
