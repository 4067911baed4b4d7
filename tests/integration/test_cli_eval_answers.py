"""``enclave eval answers`` on a small question set over real files, as an admin runs it."""

from __future__ import annotations

import json

import pytest

from tests.support.server import process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

LEAVE = """# Leave policy

## Annual leave

Every employee is entitled to twenty-seven days of paid annual leave per year.
Unused days may be carried over until the end of March.
"""
FERIAS = """# Política de férias

Os funcionários têm direito a vinte e cinco dias de férias pagas por ano.
Os pedidos de férias são aprovados pelo gestor direto.
"""
QUESTIONS = [
    {
        "id": "q-en",
        "question": "How many days of paid annual leave does every employee get?",
        "language": "en",
        "split": "test",
        "doc": "policies/leave.md",
        "answer": "Twenty-seven days of paid annual leave per year.",
        "facts": ["twenty-seven days"],
        "answerable": True,
    },
    {
        "id": "q-pt",
        "question": "Quantos dias de férias pagas os funcionários têm por ano?",
        "language": "pt",
        "split": "test",
        "doc": "policies/ferias.md",
        "answer": "Vinte e cinco dias de férias pagas por ano.",
        "facts": ["vinte e cinco dias"],
        "answerable": True,
    },
]
OFF_TOPIC = {
    "id": "off-1",
    "question": "What is the CEO's favourite colour?",
    "language": "en",
    "split": "test",
    "doc": None,
    "answer": None,
    "facts": [],
    "answerable": False,
}


def test_the_report_measures_correctness_citations_and_abstention(tmp_path) -> None:
    root = tmp_path / "eval"
    (root / "company" / "policies").mkdir(parents=True)
    (root / "company" / "policies" / "leave.md").write_text(LEAVE)
    (root / "company" / "policies" / "ferias.md").write_text(FERIAS)
    questions = tmp_path / "set"
    questions.mkdir()
    (questions / "set.json").write_text(json.dumps({"docs": "company", "files": ["**/*.md"]}))
    (questions / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS))
    off_topic = tmp_path / "off_topic.jsonl"
    off_topic.write_text(json.dumps(OFF_TOPIC))
    per_question = tmp_path / "per-question.jsonl"

    result = run_cli(
        [
            "eval",
            "answers",
            "--dataset",
            str(questions),
            "--unanswerable",
            str(off_topic),
            "--eval-root",
            str(root),
            "--per-question",
            str(per_question),
        ],
        process_env(tmp_path / "home"),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in result.stdout.splitlines()
        if line.startswith("| set ") and "questions" not in line
    }
    # questions, answered, abstained, facts, F1, citation precision, coverage (own)
    assert rows["set all"][:4] == ["3 (2/1)", "1.00", "1.00", "1.00"]
    assert rows["set all"][5:7] == ["1.00", "1.00 (1.00)"]
    assert rows["set pt"][:4] == ["1 (1/0)", "1.00", "–", "1.00"]
    results = {row["id"]: row for row in map(json.loads, per_question.read_text().splitlines())}
    assert results["q-en"]["text"] == (
        "Every employee is entitled to twenty-seven days of paid annual leave per year. [1]"
    )
    assert results["q-en"]["cited_documents"] == ["policies/leave.md"]
    assert (results["off-1"]["abstained"], results["off-1"]["cited_documents"]) == (True, [])
    assert results["q-pt"]["notice"] == "extractive"
