"""Options shared by ``enclave eval retrieval`` and ``enclave eval answers``."""

from __future__ import annotations

import os
from pathlib import Path

import click

__all__ = ["embedding_cache_option", "eval_root_option"]

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
