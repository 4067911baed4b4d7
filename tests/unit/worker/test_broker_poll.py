"""The embedded broker's poll: a queued message is seen, a consumed one is gone, nothing leaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from kombu import Connection

from worker import broker


@pytest.fixture
def connection(tmp_path: Path):
    broker.register()
    with Connection(f"{broker.SCHEME}+sqlite:///{tmp_path / 'broker.sqlite3'}") as opened:
        yield opened


def test_a_poll_sees_a_queued_message_until_it_is_consumed(connection):
    queue = connection.SimpleQueue("documents")
    channel = queue.channel

    assert not channel._has_message("documents")
    queue.put({"document_id": 7})
    assert channel._has_message("documents")
    assert not channel._has_message("other")

    assert queue.get(timeout=5).payload == {"document_id": 7}
    assert not channel._has_message("documents")
    queue.close()


def test_closing_the_channel_closes_the_polls_connection(connection):
    channel = connection.channel()
    channel._has_message("documents")
    reader = channel._reader
    assert reader is not None

    channel.close()

    assert channel._reader is None
    with pytest.raises(Exception, match="closed"):
        reader.execute("SELECT 1")
