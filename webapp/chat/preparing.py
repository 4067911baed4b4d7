"""Questions being prepared come before the records of answers already streaming.

A web process runs every answer on one interpreter lock. Preparing a question
(reading the user's scope, retrieval, the prompt) is what its first token waits
for; recording an answer (storing the question and the answer, the audit entry)
is not. When many questions arrive at once, the records of the first answers
would take turns with the retrieval of the questions behind them and push their
first tokens back. So a record waits, for at most ``max_wait_s``, until no
question is being prepared. Waiting for the model's first token does not count
as preparing: the lock is free then, and the records go ahead.
"""

from __future__ import annotations

import threading

__all__ = ["Preparation", "Preparing"]


class Preparation:
    """One question being prepared; ``done()`` (idempotent) when its prompt is ready.

    As a context manager, it is done at the latest when the block ends.
    """

    def __init__(self, preparing: Preparing) -> None:
        self._preparing = preparing
        self._done = False

    def __enter__(self) -> Preparation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.done()

    def done(self) -> None:
        """This question no longer needs the lock before its first token."""
        if not self._done:
            self._done = True
            self._preparing._finished()


class Preparing:
    """How many questions are being prepared, and a wait for none to be."""

    def __init__(self, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s
        self._count = 0
        self._idle = threading.Condition()

    def start(self) -> Preparation:
        """Count one more question being prepared until its ``done()``."""
        with self._idle:
            self._count += 1
        return Preparation(self)

    def _finished(self) -> None:
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    @property
    def count(self) -> int:
        """Questions being prepared now."""
        return self._count

    def wait(self) -> bool:
        """Wait until no question is being prepared, at most ``max_wait_s``; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout=self.max_wait_s)
