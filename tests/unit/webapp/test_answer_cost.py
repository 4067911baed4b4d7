"""The price of an answer: tokens at their price per 1,000, model time at its hourly price."""

from __future__ import annotations

from decimal import Decimal

from webapp.audit.costs import answer_cost
from webapp.config.sections import ModelPrice


def test_token_and_hourly_prices_add_up_exactly() -> None:
    price = ModelPrice(prompt_per_1k="0.5", completion_per_1k="1.5", gpu_hour="36")

    # 1234 × 0.5/1000 + 56 × 1.5/1000 + 1.8 s × 36/3600
    assert answer_cost(price, tokens_in=1234, tokens_out=56, model_ms=1800.0) == Decimal("0.719")
    assert answer_cost(ModelPrice(), tokens_in=1234, tokens_out=56, model_ms=1800.0) == 0


def test_model_time_counts_as_stored_to_the_tenth_of_a_millisecond() -> None:
    hourly = ModelPrice(gpu_hour="3600")  # one per second

    assert answer_cost(hourly, tokens_in=0, tokens_out=0, model_ms=123.4) == Decimal("0.1234")
