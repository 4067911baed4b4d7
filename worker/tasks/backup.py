"""The index snapshot that ``enclave backup`` asks of the process owning the embedded index."""

from __future__ import annotations

from pathlib import Path

from webapp.backup.index import index_snapshot_answer
from worker.celery_app import app
from worker.contracts import SNAPSHOT_INDEX


# Not acks_late: a snapshot cut by a crash is not redone; the waiting backup times out.
@app.task(name=SNAPSHOT_INDEX, acks_late=False)
def snapshot_index(target: str, answer: str) -> None:
    """Snapshot the active index into ``target``; the result goes to the file ``answer``."""
    index_snapshot_answer(target=Path(target), answer=Path(answer))
