"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, tuned.

Three changes to the stock transport (why: docs/architecture.md, "Key design decisions"):
a consumed message is deleted instead of being hidden forever, the polling
interval is short so a queued document starts at once, and a poll of an empty
queue is one plain SELECT (no ORM queries, no write lock), since nearly every
poll finds nothing.
Redelivery after a crash is not the broker's job: the Document row is the
source of truth and the reconciler requeues stalled documents.
"""

from __future__ import annotations

from queue import Empty

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as sqla
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads
from sqlalchemy import text

SCHEME = "enclave-sqlite"


class Channel(sqla.Channel):
    """A channel that removes each message as it is consumed."""

    def _get(self, queue: str) -> dict:
        if not self._has_message(queue):
            raise Empty()
        obj = self._get_or_create(queue)
        self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            msg = (
                self.session.query(self.message_cls)
                .filter(self.message_cls.queue_id == obj.id)
                .filter(self.message_cls.visible != False)  # noqa: E712 (SQL expression)
                .order_by(self.message_cls.sent_at, self.message_cls.id)
                .limit(1)
                .first()
            )
            if msg is None:
                raise Empty()
            payload = loads(bytes_to_str(msg.payload))
            self.session.delete(msg)
            return payload
        finally:
            self.session.commit()

    def _has_message(self, queue: str) -> bool:
        """Whether ``queue`` holds a visible message: one indexed read, no transaction kept."""
        query = text(
            f"SELECT 1 FROM {self.message_cls.__tablename__} AS m "
            f"JOIN {self.queue_cls.__tablename__} AS q ON m.queue_id = q.id "
            "WHERE q.name = :queue AND m.visible = 1 LIMIT 1"
        )
        try:
            return self.session.execute(query, {"queue": queue}).first() is not None
        finally:
            self.session.rollback()


class Transport(sqla.Transport):
    """SQLite-file transport with prompt polling."""

    Channel = Channel
    # With one prefetched task per worker slot, the worker waits one interval after
    # each task before it fetches the next: 0.5 s made 200 short documents take
    # minutes. An indexed SELECT on a local SQLite file ten times a second is cheap.
    polling_interval = 0.1


def register() -> None:
    """Make ``enclave-sqlite+sqlite:///path`` a broker URL kombu understands."""
    TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
