"""Evaluation data sets read into one shape: documents, questions, and which documents answer them.

Formats read (``load_dataset`` picks by what the path holds):

- BEIR folder: ``corpus.jsonl``, ``queries*.jsonl``, ``qrels/<split>.tsv`` (SciFact);
  Pirá's bilingual layout in the same format (``queries_[dev_]{en,pt}.jsonl``,
  ``qrels/<split>_<lang>.tsv`` and an optional ``corpus_pt_mt.jsonl``);
- SQuAD JSON (FaQuAD): each paragraph is one document, its questions point at it;
- a question set (JSONL, one question a line) over document files::

    {"id", "question", "language", "split", "doc", "answer", "facts": [...], "answerable"}

  ``doc`` is a file path relative to the set's document folder (``"docs"`` of the
  ``set.json`` beside it, a folder of the eval data root); unanswerable
  questions have ``"answerable": false`` and ``"doc": null``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "EvalSet",
    "load_beir",
    "load_dataset",
    "load_pira",
    "load_question_set",
    "load_squad",
    "question_set_files",
    "read_question_set",
]


@dataclass(frozen=True)
class EvalSet:
    """Documents, questions and judgements of one split; a question without judgements
    is unanswerable over these documents."""

    corpus: dict[str, tuple[str, str]]  # id -> (title, text); empty when ``files`` is used
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    split: str
    # id -> file to parse and index instead of corpus text (question sets over real files).
    files: dict[str, Path] = field(default_factory=dict)
    # query id -> ISO 639-1 language when the set says it.
    languages: dict[str, str] = field(default_factory=dict)
    name: str = ""

    @property
    def documents(self) -> list[str]:
        """Every document id, texts and files alike."""
        return [*self.corpus, *self.files]

    def answerable(self) -> EvalSet:
        """Only the questions some document answers."""
        keep = {q for q in self.queries if self.qrels.get(q)}
        return self._only(keep)

    def unanswerable(self) -> EvalSet:
        """Only the questions no document answers."""
        keep = {q for q in self.queries if not self.qrels.get(q)}
        return self._only(keep)

    def _only(self, keep: set[str]) -> EvalSet:
        return EvalSet(
            corpus=self.corpus,
            queries={q: t for q, t in self.queries.items() if q in keep},
            qrels={q: r for q, r in self.qrels.items() if q in keep},
            split=self.split,
            files=self.files,
            languages={q: lang for q, lang in self.languages.items() if q in keep},
            name=self.name,
        )


def load_dataset(
    path: Path,
    *,
    split: str = "test",
    language: str | None = None,
    corpus: str | None = None,
    eval_root: Path | None = None,
) -> EvalSet:
    """Read the data set at ``path`` in whichever supported format it is (module docstring).

    ``language`` picks Pirá's question language (en, pt); ``corpus`` its document
    language (``en`` = the original texts, ``pt`` = the machine translation);
    ``eval_root`` holds the documents of a question set (default ``../shared/eval``).
    """
    if path.is_file() and path.suffix == ".json":
        return load_squad(path)
    if path.is_file() and path.suffix == ".jsonl":
        root = eval_root if eval_root is not None else Path("../shared/eval")
        return load_question_set(path, eval_root=root, split=split)
    if (path / "corpus_pt_mt.jsonl").is_file():
        return load_pira(path, split=split, language=language or "en", corpus=corpus or "en")
    return load_beir(path, split=split)


def load_beir(
    directory: Path,
    *,
    split: str = "test",
    limit_docs: int | None = None,
    limit_queries: int | None = None,
) -> EvalSet:
    """Read corpus.jsonl, queries*.jsonl and qrels/<split>.tsv; subsets keep judged documents.

    ``limit_queries`` keeps the first N judged queries (file order); ``limit_docs``
    keeps every document judged for those queries, then fills up in corpus order.
    """
    qrels = _read_qrels(directory / "qrels" / f"{split}.tsv")
    queries: dict[str, str] = {}
    for path in sorted(directory.glob("queries*.jsonl")):
        for row in _jsonl(path):
            if str(row["_id"]) in qrels:
                queries.setdefault(str(row["_id"]), str(row["text"]))
    if limit_queries is not None:
        queries = dict(list(queries.items())[:limit_queries])
    qrels = {qid: qrels[qid] for qid in queries}
    corpus = _read_corpus(directory / "corpus.jsonl")
    if limit_docs is not None:
        judged = [doc for judged in qrels.values() for doc in judged if doc in corpus]
        keep = list(dict.fromkeys(judged))[:limit_docs]
        keep += [doc for doc in corpus if doc not in set(keep)][: max(0, limit_docs - len(keep))]
        corpus = {doc: corpus[doc] for doc in keep}
    return EvalSet(corpus=corpus, queries=queries, qrels=qrels, split=split, name=directory.name)


def load_pira(
    directory: Path, *, split: str = "test", language: str = "en", corpus: str = "en"
) -> EvalSet:
    """Pirá: ``language`` questions (en, pt) of ``split`` (dev, test) over the EN or PT texts."""
    prefix = "queries_dev" if split == "dev" else "queries"
    queries = {
        str(row["_id"]): str(row["text"])
        for row in _jsonl(directory / f"{prefix}_{language}.jsonl")
    }
    qrels = _read_qrels(directory / "qrels" / f"{split}_{language}.tsv")
    texts = directory / ("corpus_pt_mt.jsonl" if corpus == "pt" else "corpus.jsonl")
    return EvalSet(
        corpus=_read_corpus(texts),
        queries={q: t for q, t in queries.items() if q in qrels},
        qrels=qrels,
        split=split,
        languages={q: language for q in queries if q in qrels},
        name=f"pira {language}->{corpus}",
    )


def load_squad(path: Path) -> EvalSet:
    """SQuAD JSON (FaQuAD) as an EvalSet: paragraphs are documents, titled by their article."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    corpus: dict[str, tuple[str, str]] = {}
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for position, article in enumerate(data):
        title = str(article.get("title", "")).replace("_", " ").lower()
        for number, paragraph in enumerate(article["paragraphs"]):
            # Two articles may share a title (FaQuAD train has POS_GRADUACAO twice).
            doc = f"{path.stem}:{position}:{title}#{number}"
            corpus[doc] = (title, paragraph["context"])
            for qa in paragraph["qas"]:
                queries[qa["id"]] = qa["question"]
                qrels[qa["id"]] = {doc: 1}
    return EvalSet(corpus=corpus, queries=queries, qrels=qrels, split=path.stem, name=path.stem)


def read_question_set(path: Path) -> list[dict[str, object]]:
    """Every row of a question-set JSONL file, as written."""
    return list(_jsonl(path))


def question_set_files(path: Path, *, eval_root: Path) -> dict[str, Path]:
    """The files the ``set.json`` beside a question set names, keyed by path under its docs."""
    manifest = json.loads((path.parent / "set.json").read_text(encoding="utf-8"))
    docs = eval_root / manifest["docs"]
    return {
        str(found.relative_to(docs)): found
        for pattern in manifest["files"]
        for found in sorted(docs.glob(pattern))
        if found.is_file()
    }


def load_question_set(path: Path, *, eval_root: Path, split: str | None = None) -> EvalSet:
    """A question set (JSONL) over the files its ``set.json`` names; ``split`` None = all rows.

    ``set.json`` beside the set: ``{"docs": folder under eval_root, "files": [glob, ...]}``;
    document ids are file paths relative to that folder, as the rows' ``doc`` gives them.
    """
    files = question_set_files(path, eval_root=eval_root)
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    languages: dict[str, str] = {}
    for row in read_question_set(path):
        if split is not None and row.get("split") != split:
            continue
        qid = str(row["id"])
        queries[qid] = str(row["question"])
        languages[qid] = str(row.get("language") or "")
        doc = row.get("doc")
        qrels[qid] = {str(doc): 1} if row.get("answerable", True) and doc else {}
    return EvalSet(
        corpus={},
        queries=queries,
        qrels=qrels,
        split=split or "all",
        files=files,
        languages=languages,
        name=path.stem,
    )


def _read_corpus(path: Path) -> dict[str, tuple[str, str]]:
    return {
        str(row["_id"]): (str(row.get("title") or ""), str(row.get("text") or ""))
        for row in _jsonl(path)
    }


def _jsonl(path: Path) -> Iterable[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as rows:
        for number, row in enumerate(rows):
            parts = row.rstrip("\n").split("\t")
            if len(parts) < 3 or (number == 0 and not parts[2].lstrip("-").isdigit()):
                continue  # header or blank line
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels
