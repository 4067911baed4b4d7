"""Records of streaming answers wait while questions are being prepared (bounded)."""

from __future__ import annotations

import threading

from webapp.chat.preparing import Preparing


def test_nothing_being_prepared_means_no_wait() -> None:
    assert Preparing(max_wait_s=30).wait() is True


def test_done_twice_counts_once() -> None:
    preparing = Preparing(max_wait_s=30)
    first, second = preparing.start(), preparing.start()

    first.done()
    first.done()

    assert preparing.count == 1
    second.done()
    assert preparing.count == 0


def test_a_waiting_record_goes_on_when_the_last_question_is_prepared() -> None:
    preparing = Preparing(max_wait_s=30)
    questions = [preparing.start(), preparing.start()]
    waited: list[bool] = []
    record = threading.Thread(target=lambda: waited.append(preparing.wait()))
    record.start()

    questions[0].done()
    record.join(timeout=0.2)
    assert record.is_alive()  # one question is still being prepared

    questions[1].done()
    record.join(timeout=30)
    assert waited == [True]


def test_a_record_waits_no_longer_than_the_limit() -> None:
    preparing = Preparing(max_wait_s=0.01)
    preparing.start()  # a question that is never done (say, a search that hangs)

    assert preparing.wait() is False


def test_a_preparation_in_a_with_block_is_done_when_the_block_ends() -> None:
    preparing = Preparing(max_wait_s=30)

    with preparing.start() as question:
        assert preparing.count == 1
        question.done()  # the prompt is ready before the block ends
        assert preparing.count == 0

    assert preparing.count == 0
