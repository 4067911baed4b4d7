"""What answers cost: tokens, model time and price, per group, collection and model.

Each answer's figures are stored with it (``Message.tokens_in``, ``tokens_out``,
``model_ms``, ``model`` and ``collection``, the collection of its best passage).
An answer counts once per model and per collection, and once for each group its
asker belongs to (a department sees all its members' questions; a person in two
groups counts in both). Prices come from ``ENCLAVE_USAGE_PRICES``; a model
without one has no cost, and a row whose models have none shows no cost.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from webapp.audit.exports import csv_safe
from webapp.chat.models import Message
from webapp.config.sections import ModelPrice

__all__ = ["COSTS_CSV_HEADER", "CostRow", "UsageCosts", "answer_cost", "costs_csv", "usage_costs"]

COSTS_CSV_HEADER = [
    "by",
    "name",
    "answers",
    "prompt_tokens",
    "completion_tokens",
    "model_seconds",
    "cost",
    "currency",
]
_THOUSAND = Decimal(1000)
# Costs as written in the table and the export: to a hundredth of a cent.
_COST_STEP = Decimal("0.0001")
_MS_PER_HOUR = Decimal(3_600_000)


@dataclass(frozen=True)
class CostRow:
    """Answers of one group, collection or model ("" when there is none) and what they cost."""

    name: str
    answers: int
    tokens_in: int
    tokens_out: int
    model_ms: float
    # None when no model of the row has a price.
    cost: Decimal | None

    @property
    def model_s(self) -> float:
        """Model time in seconds."""
        return round(self.model_ms / 1000, 1)


@dataclass(frozen=True)
class UsageCosts:
    """The cost tables of the usage page for one period."""

    currency: str
    total: CostRow
    by_group: list[CostRow]
    by_collection: list[CostRow]
    by_model: list[CostRow]
    # Models that answered in the period without a price.
    unpriced: list[str]


@dataclass(frozen=True)
class _Sums:
    answers: int
    tokens_in: int
    tokens_out: int
    model_ms: float


def answer_cost(price: ModelPrice, *, tokens_in: int, tokens_out: int, model_ms: float) -> Decimal:
    """Tokens at their prices per 1,000, plus model time at its hourly price."""
    # Through str: the stored milliseconds (one decimal) as written, not a binary expansion.
    hours = Decimal(str(round(model_ms, 1))) / _MS_PER_HOUR
    return (
        tokens_in * price.prompt_per_1k / _THOUSAND
        + tokens_out * price.completion_per_1k / _THOUSAND
        + hours * price.gpu_hour
    )


def usage_costs(
    *, since: datetime, prices: Mapping[str, ModelPrice], currency: str = ""
) -> UsageCosts:
    """Tokens, model time and cost of the answers since ``since``, per group, collection, model."""
    answers = Message.objects.filter(role=Message.Role.ASSISTANT, created_at__gte=since)
    by_model = _summed(answers, None)
    return UsageCosts(
        currency=currency,
        total=_row("", ((model, sums) for (_, model), sums in by_model.items()), prices),
        by_group=_rows(_summed(answers, "conversation__user__groups__name"), prices),
        by_collection=_rows(_summed(answers, "collection__name"), prices),
        by_model=_rows(by_model, prices),
        unpriced=sorted({model for _, model in by_model} - set(prices)),
    )


def _summed(answers: Any, key: str | None) -> dict[tuple[str, str], _Sums]:
    """The answers' figures summed per (``key``, model) (per (model, model) without one)."""
    rows = (
        answers.values_list(key or "model", "model")
        .annotate(
            n=Count("id"),
            tokens_in=Sum("tokens_in"),
            tokens_out=Sum("tokens_out"),
            model_ms=Sum("model_ms"),
        )
        .order_by()
    )
    return {
        (name or "", model): _Sums(n, tokens_in or 0, tokens_out or 0, model_ms or 0.0)
        for name, model, n, tokens_in, tokens_out, model_ms in rows
    }


def _rows(sums: dict[tuple[str, str], _Sums], prices: Mapping[str, ModelPrice]) -> list[CostRow]:
    """One row per name, its models' figures added up; costliest first."""
    grouped: dict[str, list[tuple[str, _Sums]]] = {}
    for (name, model), figures in sums.items():
        grouped.setdefault(name, []).append((model, figures))
    rows = [_row(name, models, prices) for name, models in grouped.items()]
    return sorted(rows, key=lambda r: (-(r.cost if r.cost is not None else -1), -r.answers, r.name))


def _row(
    name: str, models: Iterable[tuple[str, _Sums]], prices: Mapping[str, ModelPrice]
) -> CostRow:
    listed = list(models)
    costs = list(_priced(listed, prices))
    return CostRow(
        name=name,
        answers=sum(s.answers for _, s in listed),
        tokens_in=sum(s.tokens_in for _, s in listed),
        tokens_out=sum(s.tokens_out for _, s in listed),
        model_ms=round(sum(s.model_ms for _, s in listed), 1),
        cost=sum(costs, Decimal(0)) if costs else None,
    )


def _priced(models: list[tuple[str, _Sums]], prices: Mapping[str, ModelPrice]) -> Iterator[Decimal]:
    for model, sums in models:
        if model in prices:
            yield answer_cost(
                prices[model],
                tokens_in=sums.tokens_in,
                tokens_out=sums.tokens_out,
                model_ms=sums.model_ms,
            )


def costs_csv(costs: UsageCosts) -> str:
    """The cost tables as CSV: the total, then one line per group, collection and model."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COSTS_CSV_HEADER)
    tables = [
        ("total", [costs.total]),
        ("group", costs.by_group),
        ("collection", costs.by_collection),
        ("model", costs.by_model),
    ]
    for by, rows in tables:
        for row in rows:
            cost = "" if row.cost is None else str(row.cost.quantize(_COST_STEP))
            writer.writerow(
                [by, csv_safe(row.name), row.answers, row.tokens_in, row.tokens_out]
                + [f"{row.model_s:.1f}", cost, csv_safe(costs.currency)]
            )
    return buffer.getvalue()
