"""The evaluation sets the search defaults are chosen on, by name: corpus, questions, split role.

Every corpus is indexed once per embedding model (``ops.bench.eval_tune index``);
each question set is then asked over its corpus. ``tune`` sets choose defaults,
``report`` sets only measure them:

| corpus | tune (dev) | report (test) |
|---|---|---|
| scifact (1,500 abstracts, every judged one) | train queries (EN) | test queries |
| faquad (249 paragraphs, train + dev) | train questions (PT) | dev questions |
| pira-en (309 English texts) | dev EN, dev PT (PT->EN) | test EN, test PT |
| pira-pt (their PT machine translation) | dev PT, dev EN (EN->PT) | test PT, test EN |
| enterprise (18F handbook, NTSB, agency plans) | our dev questions (EN, PT) | test |

Unanswerable questions over each corpus: the off-topic questions we wrote
(ops/bench/datasets/unanswerable/) plus other data sets' questions
(``foreign_questions``), split dev/test by question, and by language into two
sets: those in the corpus's language and the cross-language ones (a Portuguese
question over English texts, an English one over Portuguese texts), so the gate
is calibrated on abstaining in both, not on a mix where same-language questions
hide the cross-language misses.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from retrieval.eval_data import EvalSet, load_beir, load_pira, load_question_set, load_squad

__all__ = [
    "CORPORA",
    "CORPUS_LANGUAGES",
    "DATASETS",
    "QuestionSet",
    "corpus_set",
    "foreign_questions",
    "question_sets",
]

DATASETS = Path(__file__).parent / "datasets"
ENTERPRISE = DATASETS / "enterprise" / "questions.jsonl"
OFF_TOPIC = DATASETS / "unanswerable" / "off_topic.jsonl"
CORPORA = ("scifact", "faquad", "pira-en", "pira-pt", "enterprise")
# The language the texts of each corpus are written in.
CORPUS_LANGUAGES = {
    "scifact": "en",
    "faquad": "pt",
    "pira-en": "en",
    "pira-pt": "pt",
    "enterprise": "en",
}
# Foreign questions taken per corpus and split (kept small: they only test abstention).
FOREIGN_PER_SOURCE = 40
SCIFACT_DOCS = 1500


@dataclass(frozen=True)
class QuestionSet:
    """Questions asked over one corpus, with the role their split plays."""

    name: str
    corpus: str
    role: str  # "tune" (dev) or "report" (test)
    data: EvalSet


def corpus_set(name: str, root: Path) -> EvalSet:
    """The documents of corpus ``name`` (no questions)."""
    if name == "scifact":
        # Every document judged for a train or test query, filled up to SCIFACT_DOCS in
        # corpus order: the whole corpus (5,183) takes hours to embed on 2 busy cores.
        train = load_beir(root / "beir-scifact", split="train")
        test = load_beir(root / "beir-scifact", split="test")
        judged = {d for qrels in (train.qrels, test.qrels) for j in qrels.values() for d in j}
        keep = [d for d in train.corpus if d in judged]
        keep += [d for d in train.corpus if d not in judged][: max(0, SCIFACT_DOCS - len(keep))]
        return EvalSet(corpus={d: train.corpus[d] for d in keep}, queries={}, qrels={}, split="all")
    if name == "faquad":
        train = load_squad(root / "pt-faquad" / "train.json")
        dev = load_squad(root / "pt-faquad" / "dev.json")
        return EvalSet(corpus={**train.corpus, **dev.corpus}, queries={}, qrels={}, split="all")
    if name in ("pira-en", "pira-pt"):
        return load_pira(root / "pira", split="dev", corpus=name[-2:])
    if name == "enterprise":
        return load_question_set(ENTERPRISE, eval_root=root)
    raise ValueError(f"unknown corpus {name!r}")


def question_sets(corpus: str, root: Path) -> list[QuestionSet]:
    """The answerable question sets asked over ``corpus``."""
    if corpus == "scifact":
        return [
            QuestionSet(
                "scifact train", corpus, "tune", load_beir(root / "beir-scifact", split="train")
            ),
            QuestionSet(
                "scifact test", corpus, "report", load_beir(root / "beir-scifact", split="test")
            ),
        ]
    if corpus == "faquad":
        return [
            QuestionSet("faquad train", corpus, "tune", _faquad(root, "train")),
            QuestionSet("faquad dev", corpus, "report", _faquad(root, "dev")),
        ]
    if corpus in ("pira-en", "pira-pt"):
        docs = corpus[-2:]
        sets = []
        for split, role in (("dev", "tune"), ("test", "report")):
            for language in ("en", "pt"):
                data = load_pira(root / "pira", split=split, language=language, corpus=docs)
                name = f"pira {language.upper()}->{docs.upper()} {split}"
                sets.append(QuestionSet(name, corpus, role, data))
        return sets
    if corpus == "enterprise":
        return [
            QuestionSet(f"enterprise {split}", corpus, role, _enterprise(root, split))
            for split, role in (("dev", "tune"), ("test", "report"))
        ]
    raise ValueError(f"unknown corpus {corpus!r}")


def _faquad(root: Path, split: str) -> EvalSet:
    data = load_squad(root / "pt-faquad" / f"{split}.json")
    return EvalSet(
        corpus={},
        queries=data.queries,
        qrels=data.qrels,
        split=split,
        languages={q: "pt" for q in data.queries},
        name=f"faquad {split}",
    )


def _enterprise(root: Path, split: str) -> EvalSet:
    data = load_question_set(ENTERPRISE, eval_root=root, split=split)
    return EvalSet(
        corpus={}, queries=data.queries, qrels=data.qrels, split=split, languages=data.languages
    )


def foreign_questions(
    corpus: str, root: Path, split: str, *, cross_language: bool = False
) -> EvalSet:
    """Unanswerable over ``corpus``: our off-topic questions plus other sets' questions.

    Other sets' questions are taken from the corpora least related to this one
    (``FOREIGN_PER_SOURCE`` each, chosen by a hash of the id, so the pick is
    stable); ``split`` (dev or test) picks which half of them. Only the questions
    in the corpus's language, or with ``cross_language`` only those in the other.
    """
    wanted = CORPUS_LANGUAGES[corpus]
    queries: dict[str, str] = {}
    languages: dict[str, str] = {}
    for row in (json.loads(line) for line in OFF_TOPIC.read_text().splitlines() if line.strip()):
        if row["split"] == split and (row["language"] != wanted) == cross_language:
            queries[f"off:{row['id']}"] = row["question"]
            languages[f"off:{row['id']}"] = row["language"]
    for source in _FOREIGN[corpus]:
        for qid, (text, language) in _pick(source, root, split).items():
            if (language != wanted) != cross_language:
                continue
            queries[f"{source}:{qid}"] = text
            languages[f"{source}:{qid}"] = language
    return EvalSet(
        corpus={},
        queries=queries,
        qrels={q: {} for q in queries},
        split=split,
        languages=languages,
        name=f"unanswerable {'cross-language ' if cross_language else ''}over {corpus}",
    )


# Whose questions cannot be answered by each corpus (topics that do not overlap).
_FOREIGN = {
    "scifact": ("faquad", "enterprise"),
    "faquad": ("scifact", "pira", "enterprise"),
    "pira-en": ("faquad", "scifact", "enterprise"),
    "pira-pt": ("faquad", "scifact", "enterprise"),
    "enterprise": ("scifact", "faquad", "pira"),
}


def _pick(source: str, root: Path, split: str) -> dict[str, tuple[str, str]]:
    if source == "scifact":
        data = load_beir(root / "beir-scifact", split="test")
        pool = {q: (t, "en") for q, t in data.queries.items()}
    elif source == "faquad":
        pool = {
            q: (t, "pt") for q, t in load_squad(root / "pt-faquad" / "dev.json").queries.items()
        }
    elif source == "pira":
        pool = {}
        for language in ("en", "pt"):
            data = load_pira(root / "pira", split="test", language=language)
            pool.update({f"{q}-{language}": (t, language) for q, t in data.queries.items()})
    else:
        data = load_question_set(ENTERPRISE, eval_root=root)
        pool = {q: (t, data.languages[q]) for q, t in data.queries.items() if data.qrels[q]}
    ordered = sorted(pool, key=lambda q: hashlib.sha256(q.encode()).hexdigest())
    chosen = ordered[: 2 * FOREIGN_PER_SOURCE]
    half = chosen[0::2] if split == "dev" else chosen[1::2]
    return {q: pool[q] for q in half}
