"""Usage figures for the console, from stored answers, feedback and their citations."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from webapp.chat.models import Feedback, Message
from webapp.knowledge.models import Document

__all__ = ["DailyFigures", "UsageSummary", "percentile", "period_start", "usage_summary"]

TOP = 10


@dataclass(frozen=True)
class DailyFigures:
    """One day of the period."""

    day: date
    questions: int
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True)
class UsageSummary:
    """What the usage page shows for the last ``days`` days."""

    days: int
    daily: list[DailyFigures]
    questions: int
    p50_ms: float | None
    p95_ms: float | None
    thumbs_up: int
    thumbs_down: int
    unanswered: list[tuple[str, int]] = field(default_factory=list)
    cited: list[tuple[int, str, int]] = field(default_factory=list)

    @property
    def helpful_ratio(self) -> float | None:
        """Share of thumbs up among all thumbs, 0–1 (None without feedback)."""
        total = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / total if total else None


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0–1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _daily(since: Any, days: int, today: date) -> list[DailyFigures]:
    counts = dict(
        Message.objects.filter(role=Message.Role.USER, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    latencies: dict[date, list[float]] = {}
    rows = Message.objects.filter(
        role=Message.Role.ASSISTANT, created_at__gte=since, total_ms__isnull=False
    ).annotate(day=TruncDate("created_at"))
    for day, total_ms in rows.values_list("day", "total_ms"):
        latencies.setdefault(day, []).append(total_ms)
    first = today - timedelta(days=days - 1)
    return [
        DailyFigures(
            day=day,
            questions=counts.get(day, 0),
            p50_ms=percentile(latencies.get(day, []), 0.5),
            p95_ms=percentile(latencies.get(day, []), 0.95),
        )
        for day in (first + timedelta(days=n) for n in range(days))
    ]


def _unanswered(since: Any) -> list[tuple[str, int]]:
    """Questions whose answer cited nothing (grounded=False), most frequent first."""
    question = Message.objects.filter(
        conversation=OuterRef("conversation"),
        role=Message.Role.USER,
        created_at__lte=OuterRef("created_at"),
    ).order_by("-created_at", "-id")
    rows = (
        Message.objects.filter(role=Message.Role.ASSISTANT, created_at__gte=since, grounded=False)
        .annotate(question=Subquery(question.values("text")[:1]))
        .values_list("question", flat=True)
    )
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text in rows:
        if not text:
            continue
        key = " ".join(text.lower().split())
        counts[key] += 1
        shown.setdefault(key, " ".join(text.split()))
    return [(shown[key], n) for key, n in counts.most_common(TOP)]


def _cited(since: Any) -> list[tuple[int, str, int]]:
    """Documents cited in answers, most cited first: (document id, title, citations)."""
    counts: Counter[int] = Counter()
    titles: dict[int, str] = {}
    rows = Message.objects.filter(role=Message.Role.ASSISTANT, created_at__gte=since)
    for citations in rows.values_list("citations", flat=True):
        for citation in citations or []:
            document_id = citation.get("document_id")
            if isinstance(document_id, int):
                counts[document_id] += 1
                titles.setdefault(document_id, citation.get("title") or "")
    top = counts.most_common(TOP)
    current = dict(Document.objects.filter(id__in=[d for d, _ in top]).values_list("id", "title"))
    return [(d, current.get(d, titles[d]), n) for d, n in top]


def period_start(days: int) -> datetime:
    """The start of the period of the last ``days`` days, today included (local midnight)."""
    today = timezone.localdate()
    return timezone.make_aware(
        datetime.combine(today - timedelta(days=days - 1), datetime.min.time())
    )


def usage_summary(*, days: int = 30) -> UsageSummary:
    """Questions per day, answer latency p50/p95, thumbs, unanswered questions, top documents."""
    today = timezone.localdate()
    since = period_start(days)
    latencies = list(
        Message.objects.filter(
            role=Message.Role.ASSISTANT, created_at__gte=since, total_ms__isnull=False
        ).values_list("total_ms", flat=True)
    )
    thumbs = dict(
        Feedback.objects.filter(created_at__gte=since)
        .values_list("helpful")
        .annotate(n=Count("id"))
        .values_list("helpful", "n")
    )
    daily = _daily(since, days, today)
    return UsageSummary(
        days=days,
        daily=daily,
        questions=sum(d.questions for d in daily),
        p50_ms=percentile(latencies, 0.5),
        p95_ms=percentile(latencies, 0.95),
        thumbs_up=thumbs.get(True, 0),
        thumbs_down=thumbs.get(False, 0),
        unanswered=_unanswered(since),
        cited=_cited(since),
    )
