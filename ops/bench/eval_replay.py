"""Replay collected arms (ops.bench.eval_tune collect) through fusion variants and the gate.

Each collected question holds every chunk either arm found (rank and raw score
in each arm, the share of the question's terms it holds). ``fusion`` re-fuses
them with retrieval.fusion for every variant and scores documents; ``gate``
applies retrieval.relevance to the top passages of the chosen fusion and
reports, per set, the share of answerable questions answered and of
unanswerable ones abstained on, then what a separate (lower) cosine floor for a
chunk in another language than the question's would do to each set
(``CROSS_LANGUAGE_VARIANTS``). No search runs again: what differs between
variants is the fusion alone, exactly as the store would compute it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.config import SearchConfig
from retrieval.evaluation import ndcg_at_k, recall_at_k
from retrieval.fusion import ArmHit, FusedHit, fuse, lexical_confidence, ranked
from retrieval.models import Passage
from retrieval.relevance import is_relevant

__all__ = ["Variant", "run"]

# Passages the chat hands to the gate (settings.search.limit).
ANSWER_PASSAGES = 6


@dataclass(frozen=True)
class Variant:
    """One fusion setting; ``uncovered``: dense weight for a query the model does not cover.

    ``adapt`` sets the dense weight per question from the arms' own confidence
    (coverage fusion, BM25 weight 1 - dense), ``dense`` being the high weight:
    ``terms``: ``dense`` where the question's best BM25 chunk holds at most ``low``
    of its terms, ``floor`` from ``high`` on, linear between; ``margin``: ``dense``
    below ``high``, else ``floor`` when the dense top-1 cosine stands ``low`` above
    the mean of the dense top 10, else 0; ``language``: ``dense`` when BM25's best
    chunk is in another language than the question, else ``floor``.
    """

    method: str
    dense: float = 1.0
    sparse: float = 1.0
    k: int = 2
    uncovered: float = 0.0
    adapt: str = ""
    floor: float = 0.0
    low: float = 0.0
    high: float = 0.0

    @property
    def label(self) -> str:
        if self.method in ("dense", "bm25"):
            return self.method
        if self.adapt == "terms":
            return (
                f"adaptive terms {self.dense:g} (cov <= {self.low:g}) -> "
                f"{self.floor:g} (cov >= {self.high:g})"
            )
        if self.adapt == "margin":
            return (
                f"adaptive margin {self.dense:g} (cov < {self.high:g}), else "
                f"{self.floor:g} if peak >= {self.low:g}"
            )
        if self.adapt == "language":
            return f"adaptive language {self.dense:g} cross / {self.floor:g} same"
        label = f"{self.method} w={self.dense:g}/{self.sparse:g}"
        if self.method == "rrf":
            label = f"rrf k={self.k} w={self.dense:g}/{self.sparse:g}"
        return label if self.uncovered == 0.0 else f"{label} uncovered={self.uncovered:g}"


VARIANTS = [
    Variant("dense"),
    Variant("bm25"),
    *(Variant("coverage", a, round(1 - a, 2)) for a in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4)),
    *(Variant("coverage", 0.25, 0.75, uncovered=u) for u in (0.1, 0.2)),
    *(Variant("minmax", a, round(1 - a, 2)) for a in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)),
    *(Variant("rrf", 1.0, w, k) for k, w in itertools.product((2, 10, 60), (1.0, 1.5))),
    *(Variant("dbsf", 1.0, w) for w in (1.0, 1.5, 2.0)),
    # Query-adaptive dense weights (docs/retrieval.md, "Query-adaptive fusion").
    *(
        Variant("coverage", d, adapt="terms", floor=f, low=lo, high=hi)
        for d, f, lo, hi in (
            (0.25, 0.0, 0.4, 0.5),
            (0.3, 0.0, 0.4, 0.5),
            (0.25, 0.0, 0.4, 0.6),
            (0.25, 0.05, 0.3, 0.6),
            (0.25, 0.0, 0.5, 0.5),
            (0.25, 0.05, 0.5, 0.5),
        )
    ),
    *(
        Variant("coverage", d, adapt="margin", floor=0.05, low=m, high=0.5)
        for d, m in ((0.3, 0.03), (0.25, 0.03), (0.3, 0.05))
    ),
    *(Variant("coverage", 0.25, adapt="language", floor=f) for f in (0.0, 0.05)),
]


@dataclass(frozen=True)
class Question:
    """One collected question: its judgements and every chunk the arms found."""

    qid: str
    set_name: str
    role: str
    language: str
    covered: bool
    trusted: bool  # the detected language is one the model covers: the gate reads the cosine
    relevant: dict[str, int]
    # [doc, chunk, dense_rank, dense_score, sparse_rank, sparse_score, coverage, chunk language]
    hits: list[list]
    detected: str | None = None  # the language the searcher detected for the question


def load_runs(directory: Path) -> dict[str, list[Question]]:
    """Every collected set under ``directory`` (one JSONL file each), by set name."""
    sets: dict[str, list[Question]] = {}
    for path in sorted(directory.glob("*/*.jsonl")):
        name = path.stem.replace("_", " ")
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        sets[name] = [
            Question(
                r["id"],
                name,
                r["role"],
                r["language"],
                r["covered"],
                r["covered"] and r["detected"] is not None,
                r["relevant"],
                r["hits"],
                r["detected"],
            )
            for r in rows
        ]
    return sets


def fused(question: Question, variant: Variant) -> list[FusedHit]:
    """The question's chunks ordered by ``variant`` (point ids are ``doc#chunk``)."""
    # Runs collected after the searcher began withholding an uncovered query's cosine
    # lack it (1 SciFact train query, the Portuguese unanswerable ones): rank stands in.
    dense = [
        ArmHit(f"{h[0]}#{h[1]}", h[3] if h[3] is not None else 1 - h[2] / 1000)
        for h in question.hits
        if h[2] is not None
    ]
    # h[6]: the share of the question's terms the chunk holds (the "coverage" fusion).
    sparse = [ArmHit(f"{h[0]}#{h[1]}", h[5], h[6]) for h in question.hits if h[4] is not None]
    if variant.method == "dense":
        return fuse(dense, [], method="rrf")
    if variant.method == "bm25":
        return fuse([], sparse, method="rrf")
    weight = variant.dense if question.covered else variant.uncovered
    sparse_weight = variant.sparse
    if variant.adapt and question.covered:
        weight = adaptive_weight(question, variant, dense, sparse)
        sparse_weight = 1 - weight
    return fuse(
        dense,
        sparse,
        method=variant.method,  # type: ignore[arg-type]
        dense_weight=weight,
        sparse_weight=sparse_weight,
        rrf_k=variant.k,
    )


def adaptive_weight(
    question: Question, variant: Variant, dense: Sequence[ArmHit], sparse: Sequence[ArmHit]
) -> float:
    """The dense weight ``variant.adapt`` gives this question (see ``Variant``)."""
    share = lexical_confidence(sparse) if sparse else 0.0
    if variant.adapt == "terms":
        if share >= variant.high:
            return variant.floor
        if share <= variant.low:
            return variant.dense
        ramp = (variant.high - share) / (variant.high - variant.low)
        return variant.floor + (variant.dense - variant.floor) * ramp
    if variant.adapt == "margin":
        if share < variant.high:
            return variant.dense
        cosines = [hit.score for hit in ranked(dense)[:10]]
        peak = cosines[0] - sum(cosines) / len(cosines) if cosines else 0.0
        return variant.floor if peak >= variant.low else 0.0
    best = ranked(sparse)[0].point_id if sparse else None
    languages = {f"{h[0]}#{h[1]}": h[7] if len(h) > 7 else None for h in question.hits}
    other = languages.get(best) not in (None, question.detected) and question.detected is not None
    return variant.dense if other else variant.floor


def _documents(hits: Iterable[FusedHit]) -> list[str]:
    return list(dict.fromkeys(hit.point_id.rsplit("#", 1)[0] for hit in hits))


def scores(questions: Sequence[Question], variant: Variant) -> tuple[float, float, float]:
    """Mean nDCG@10, recall@1 and recall@5 of ``variant`` over the answerable questions."""
    judged = [q for q in questions if q.relevant]
    totals = [0.0, 0.0, 0.0]
    for q in judged:
        ranked = _documents(fused(q, variant))
        totals[0] += ndcg_at_k(ranked, q.relevant, 10)
        totals[1] += recall_at_k(ranked, q.relevant, 1)
        totals[2] += recall_at_k(ranked, q.relevant, 5)
    count = max(1, len(judged))
    return totals[0] / count, totals[1] / count, totals[2] / count


def passages(question: Question, variant: Variant) -> list[Passage]:
    """The top chunks of the fused list as Passages carrying what the gate reads."""
    by_id = {f"{h[0]}#{h[1]}": h for h in question.hits}
    out = []
    for hit in fused(question, variant)[:ANSWER_PASSAGES]:
        row = by_id[hit.point_id]
        out.append(
            Passage(
                0, 0, int(row[1]), row[0], "", None, "", hit.score,  # text: the doc id
                dense_rank=row[2], sparse_rank=row[4],
                dense_score=row[3] if question.trusted else None,
                sparse_score=row[5], term_coverage=row[6],
                language=row[7] if len(row) > 7 else None,
            )
        )  # fmt: skip
    return out


def run(args: argparse.Namespace) -> None:
    """``fusion`` or ``gate`` on the runs of ``args.model``."""
    sets = load_runs(args.work / args.model / "runs")
    if args.action == "fusion":
        _fusion_table(sets, args)
    else:
        _gate_table(sets, args)


def _fusion_table(sets: dict[str, list[Question]], args: argparse.Namespace) -> None:
    answerable = {n: qs for n, qs in sets.items() if "unanswerable" not in n}
    lines = []
    for role in ("tune", "report"):
        names = [n for n, qs in answerable.items() if qs and qs[0].role == role]
        header = "| variant | " + " | ".join(names) + " | mean | sets where hybrid >= best arm |"
        lines += [
            f"### {'dev' if role == 'tune' else 'test'} splits: nDCG@10 / recall@1 / recall@5",
            "",
            header,
            "|---" * (len(names) + 3) + "|",
        ]
        arms = {
            n: (scores(answerable[n], Variant("dense")), scores(answerable[n], Variant("bm25")))
            for n in names
        }
        for variant in VARIANTS:
            cells, held, means = [], 0, np.zeros(3)
            for n in names:
                ndcg, r1, r5 = scores(answerable[n], variant)
                cells.append(f"{ndcg:.3f} / {r1:.3f} / {r5:.3f}")
                means += (ndcg, r1, r5)
                best = arms[n]
                if (
                    ndcg >= max(best[0][0], best[1][0]) - 1e-9
                    and r1 >= max(best[0][1], best[1][1]) - 1e-9
                ):
                    held += 1
            mark = "–" if variant.method in ("dense", "bm25") else f"{held}/{len(names)}"
            mean = " / ".join(f"{x:.4f}" for x in means / len(names))
            lines.append(f"| {variant.label} | " + " | ".join(cells) + f" | {mean} | {mark} |")
            print(lines[-1], flush=True)
        lines.append("")
    out = args.results / f"fusion-{args.model}.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def _gate_table(sets: dict[str, list[Question]], args: argparse.Namespace) -> None:
    variant = Variant(
        args.fusion, args.dense_weight, args.sparse_weight, args.rrf_k, args.uncovered_weight
    )
    found = {n: [passages(q, variant) for q in qs] for n, qs in sets.items()}
    tune = [n for n, qs in sets.items() if qs and qs[0].role == "tune"]
    if args.thresholds:  # measure given thresholds instead of calibrating them
        dense, coverage = (float(x) for x in args.thresholds.split(","))
    else:
        dense, coverage = _calibrate({n: found[n] for n in tune})
    config = dataclasses.replace(
        SearchConfig(), relevance_min_dense=dense, relevance_min_coverage=coverage
    )
    lines = [
        f"Gate: min dense {dense:.2f}, min coverage {coverage:.2f} (fusion {variant.label})",
        "",
        "| set | split | questions | answered / abstained | answered when found |",
        "|---|---|---|---|---|",
    ]
    for name, qs in sorted(sets.items(), key=lambda item: (item[1][0].role, item[0])):
        split = "dev" if qs[0].role == "tune" else "test"
        kind = "abstained" if "unanswerable" in name else "answered"
        rate = _rate(found[name], name, config)
        hit = [top for q, top in zip(qs, found[name], strict=True) if _found(q, top)]
        when = "–" if "unanswerable" in name else f"{_rate(hit, name, config):.3f} ({len(hit)})"
        lines.append(f"| {name} | {split} | {len(qs)} | {kind} {rate:.3f} | {when} |")
    lines += ["", *_cross_language_table(sets, found, dense, coverage)]
    print("\n".join(lines))
    out = args.results / f"gate-{args.model}.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def _calibrate(found: dict[str, list[list[Passage]]]) -> tuple[float, float]:
    """Min dense and min coverage chosen on the dev sets (``found``) through ``is_relevant``."""
    best: tuple[tuple[float, float], float, float] | None = None
    for dense, coverage in itertools.product(
        [x / 100 for x in range(15, 81)], [x / 20 for x in range(6, 21)] + [1.01]
    ):
        config = dataclasses.replace(
            SearchConfig(), relevance_min_dense=dense, relevance_min_coverage=coverage
        )
        rates = {n: _rate(top, n, config) for n, top in found.items()}
        answered = [r for n, r in rates.items() if "unanswerable" not in n]
        abstained = min(r for n, r in rates.items() if "unanswerable" in n)
        # Abstain on 90% of every unanswerable dev set first, then answer as much as possible.
        key = (min(0.0, abstained - 0.90), sum(answered) / len(answered))
        if best is None or key > best[0]:
            best = (key, dense, coverage)
    assert best is not None
    return best[1], best[2]


# What a separate cosine floor for a chunk in another language than the question's
# would do (the gate has one floor for every chunk): (label, cross-language floor,
# or a lower floor with a least margin), the margin being the top dense cosine minus
# the 20th (a peak, not a crowd of near ones). None: the same-language floor.
CROSS_LANGUAGE_VARIANTS: list[tuple[str, float | None, float, float]] = [
    *((f"cross-language >= {x:.2f}", x, 2.0, 0.0) for x in (0.26, 0.28, 0.30, 0.32, 0.34, 0.40)),
    ("cross-language >= 0.28 when top - 20th >= 0.11", None, 0.28, 0.11),
]
MARGIN_RANK = 20


def _cross_language_table(
    sets: dict[str, list[Question]],
    found: dict[str, list[list[Passage]]],
    dense: float,
    coverage: float,
) -> list[str]:
    """Per set, the rate with one cosine floor and with each CROSS_LANGUAGE_VARIANTS rule."""
    labels = [f"one floor {dense:.2f}"] + [v[0] for v in CROSS_LANGUAGE_VARIANTS]
    lines = [
        f"Cross-language floors (what-if; same-language floor {dense:.2f}, coverage "
        f"{coverage:.2f}): answered / abstained",
        "",
        "| set | split | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 2) + "|",
    ]
    for name, qs in sorted(sets.items(), key=lambda item: (item[1][0].role, item[0])):
        split = "dev" if qs[0].role == "tune" else "test"
        rows = [_features(q, top) for q, top in zip(qs, found[name], strict=True)]
        same, cross, share, margin = (np.array(c) for c in zip(*rows, strict=True))
        kept = (same >= dense) | (share >= coverage)
        rules = [kept | (cross >= dense)] + [
            kept
            | (cross >= (dense if floor is None else floor))
            | ((cross >= low) & (margin >= least))
            for _, floor, low, least in CROSS_LANGUAGE_VARIANTS
        ]
        unanswerable = "unanswerable" in name
        cells = [f"{1 - r.mean() if unanswerable else r.mean():.3f}" for r in rules]
        lines.append(f"| {name} | {split} | " + " | ".join(cells) + " |")
    return lines


def _features(question: Question, top: Sequence[Passage]) -> tuple[float, float, float, float]:
    """Best same-language cosine, cross-language cosine, term share (-1: none); dense margin."""
    same, cross, share = -1.0, -1.0, -1.0
    for p in top:
        if p.dense_score is not None:
            other = p.language is not None and question.detected not in (None, p.language)
            if other:
                cross = max(cross, p.dense_score)
            else:
                same = max(same, p.dense_score)
        if p.sparse_rank is not None and p.term_coverage is not None:
            share = max(share, p.term_coverage)
    ranked = sorted((h[2], h[3]) for h in question.hits if h[2] is not None and h[3] is not None)
    cosines = [score for _, score in ranked[:MARGIN_RANK]]
    margin = cosines[0] - cosines[-1] if cosines and question.trusted else -1.0
    return same, cross, share, margin


def _found(question: Question, top: Sequence[Passage]) -> bool:
    """Whether a relevant document is among the passages handed to the gate."""
    return any(question.relevant.get(p.text, 0) > 0 for p in top)


def _rate(found: Sequence[Sequence[Passage]], name: str, config: SearchConfig) -> float:
    """Share answered (answerable set) or abstained on (unanswerable set)."""
    if not found:
        return 0.0
    answered = sum(1 for top in found if any(is_relevant(p, config) for p in top)) / len(found)
    return 1 - answered if "unanswerable" in name else answered
