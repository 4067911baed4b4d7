"""Where every ``enclave`` command writes: results on stdout, diagnostics and logs on stderr."""

from __future__ import annotations

import logging

from rich.console import Console

__all__ = ["console", "err_console", "quiet_logs", "set_verbose"]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

_verbose = False


def set_verbose(verbose: bool) -> None:
    """Remember ``enclave --verbose``: keep INFO logs (on stderr) in commands that quiet them."""
    global _verbose
    _verbose = verbose


def quiet_logs() -> None:
    """Only warnings and errors from here on, unless ``--verbose`` (call after Django's setup).

    A terminal command shows its result; the INFO lines a server keeps in its
    log (searches, model loads) would only come between the user and the answer.
    """
    if not _verbose:
        logging.getLogger().setLevel(logging.WARNING)
