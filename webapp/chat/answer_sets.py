"""Question sets with reference answers, for measuring the answers employees read.

Formats (``load_answer_set`` picks by what the path holds):

- Pirá (``answers.jsonl`` beside ``corpus.jsonl``): questions in PT and EN over the
  original English texts, reference answers in both languages; ``at_label=false``
  marks questions that should not be answered (``null``: no label).
- SQuAD JSON (FaQuAD, a folder with ``dataset.json``, or a file): each paragraph is
  a document; the answer spans are references and supporting text. Split ``dev``
  asks ``dev.json``'s questions, ``test`` ``train.json``'s, over every paragraph.
- A question set (a JSONL file, or a folder with ``questions.jsonl``) over document
  files, as ``ops/bench/datasets`` writes them: one object a line,
  ``{"id", "question", "language", "split", "doc", "answer", "facts", "answerable"}``;
  ``set.json`` beside it names the files (``{"docs": folder under the eval data
  root, "files": [glob, ...]}``); ``doc`` is a path relative to that folder.

Extra question sets (off-topic, unanswerable) can be asked over any of these
corpora (``with_questions``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from retrieval.eval_data import question_set_files

__all__ = ["AnswerSet", "EvalQuestion", "load_answer_set", "read_questions"]


@dataclass(frozen=True)
class EvalQuestion:
    """One question, what a correct answer says, and where the answer is."""

    id: str
    question: str
    language: str
    # None: the set does not say (Pirá's unlabelled questions): left out of the rates.
    answerable: bool | None
    references: tuple[str, ...] = ()
    # Short strings a correct answer contains.
    facts: tuple[str, ...] = ()
    # The document that answers it (a corpus id or a file path), "" if none.
    doc: str = ""
    # Text a cited passage holds when it supports the answer (answer spans, facts).
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerSet:
    """Documents (texts or files) and the questions asked over them."""

    name: str
    questions: tuple[EvalQuestion, ...]
    corpus: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (title, text)
    files: dict[str, Path] = field(default_factory=dict)  # id -> file to parse

    def with_questions(self, extra: Iterable[EvalQuestion]) -> AnswerSet:
        """The same documents, with more questions asked over them."""
        return replace(self, questions=(*self.questions, *extra))

    def limited(self, limit: int | None) -> AnswerSet:
        """At most ``limit`` questions of each language (answerable and not, in file order)."""
        if limit is None:
            return self
        kept: list[EvalQuestion] = []
        for key in dict.fromkeys((q.language, q.answerable) for q in self.questions):
            kept += [q for q in self.questions if (q.language, q.answerable) == key][:limit]
        return replace(self, questions=tuple(q for q in self.questions if q in kept))


def load_answer_set(
    path: Path, *, split: str = "test", eval_root: Path, language: str | None = None
) -> AnswerSet:
    """The set at ``path`` (module docstring); ``language`` keeps one question language."""
    if (path / "answers.jsonl").is_file():
        found = _pira(path, split)
    elif path.suffix == ".json" or (path / "dataset.json").is_file():
        found = _squad(path if path.suffix == ".json" else path / "dataset.json", split)
    else:
        questions = path if path.suffix == ".jsonl" else path / "questions.jsonl"
        found = _question_set(questions, split, eval_root)
    if language is not None:
        kept = tuple(q for q in found.questions if q.language == language)
        found = replace(found, questions=kept)
    return found


def read_questions(path: Path, *, split: str | None = None) -> list[EvalQuestion]:
    """The rows of a question-set JSONL file (``split`` None: every row)."""
    questions = []
    for row in _jsonl(path):
        if split is not None and row.get("split") not in (None, split):
            continue
        facts = tuple(str(f) for f in row.get("facts") or ())
        answer = row.get("answer")
        questions.append(
            EvalQuestion(
                id=str(row["id"]),
                question=str(row["question"]),
                language=str(row.get("language") or "en"),
                answerable=bool(row.get("answerable", True)),
                references=(str(answer),) if answer else (),
                facts=facts,
                doc=str(row.get("doc") or ""),
                evidence=facts,
            )
        )
    return questions


def _question_set(path: Path, split: str, eval_root: Path) -> AnswerSet:
    files = question_set_files(path, eval_root=eval_root)
    questions = tuple(read_questions(path, split=split))
    return AnswerSet(name=path.parent.name, questions=questions, files=files)


def _pira(directory: Path, split: str) -> AnswerSet:
    corpus = {
        str(row["_id"]): (str(row.get("title") or ""), str(row["text"]))
        for row in _jsonl(directory / "corpus.jsonl")
    }
    answers = {str(row["query-id"]): row for row in _jsonl(directory / "answers.jsonl")}
    prefix = "queries_dev" if split == "dev" else "queries"
    questions = []
    for language in ("en", "pt"):
        relevant = _qrels(directory / "qrels" / f"{split}_{language}.tsv")
        for row in _jsonl(directory / f"{prefix}_{language}.jsonl"):
            qid = str(row["_id"])
            answer = answers.get(qid, {})
            label = answer.get("at_label")
            references = tuple(
                str(answer[key])
                for key in (f"answer_{language}", f"answer_{language}_validate")
                if answer.get(key)
            )
            questions.append(
                EvalQuestion(
                    id=f"{qid}-{language}",
                    question=str(row["text"]),
                    language=language,
                    answerable=None if label is None else bool(label),
                    references=references,
                    doc=relevant.get(qid, ""),
                )
            )
    return AnswerSet(name=f"pira-{split}", questions=tuple(questions), corpus=corpus)


def _squad(path: Path, split: str) -> AnswerSet:
    corpus: dict[str, tuple[str, str]] = {}
    doc_of: dict[str, str] = {}  # paragraph text -> id (dev/train paragraphs are in dataset)
    for title, number, paragraph in _paragraphs(path):
        doc = f"{title}#{number}"
        corpus[doc] = (title, paragraph["context"])
        doc_of[paragraph["context"]] = doc
    asked = path.with_name("dev.json" if split == "dev" else "train.json")
    questions = []
    for _title, _number, paragraph in _paragraphs(asked if asked.is_file() else path):
        for qa in paragraph["qas"]:
            spans = tuple(dict.fromkeys(str(a["text"]) for a in qa["answers"]))
            questions.append(
                EvalQuestion(
                    id=str(qa["id"]),
                    question=str(qa["question"]),
                    language="pt",
                    answerable=True,
                    references=spans,
                    doc=doc_of.get(paragraph["context"], ""),
                    evidence=spans,
                )
            )
    return AnswerSet(name=f"faquad-{split}", questions=tuple(questions), corpus=corpus)


def _paragraphs(path: Path) -> Iterable[tuple[str, int, dict[str, Any]]]:
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        title = str(article.get("title", "")).replace("_", " ")
        for number, paragraph in enumerate(article["paragraphs"]):
            yield title, number, paragraph


def _qrels(path: Path) -> dict[str, str]:
    """query id -> its one relevant document (the files hold one each)."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 2:
            found.setdefault(parts[0], parts[1])
    return found


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
