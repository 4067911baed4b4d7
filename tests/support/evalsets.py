"""A tiny corpus and the evaluation sets asked over it (sentences no other test indexes)."""

from __future__ import annotations

import json
from pathlib import Path

# Title (the first heading) -> text; "Travel expenses" goes to a finance-only collection.
POLICIES = {
    "Beekeeping allowance": (
        "# Beekeeping allowance\n\nStaff who keep bees on the rooftop apiary receive a "
        "beekeeping allowance of forty euros per month for protective suits and smokers.\n"
    ),
    "Política de bicicletas": (
        "# Política de bicicletas\n\nOs funcionários que vêm de bicicleta recebem um vale de "
        "oficina de sessenta reais por trimestre para consertar pneus e correntes.\n"
    ),
    "Lighthouse rota": (
        "# Lighthouse rota\n\nThe lighthouse lamp is inspected by the night keeper every "
        "Thursday at dusk, and the logbook is signed by the harbour master.\n"
    ),
}
FINANCE = {
    "Travel expenses": (
        "# Travel expenses\n\nTrain tickets for client visits are reimbursed within eleven "
        "working days once the receipt is uploaded to the expense portal.\n"
    ),
}
SET_CSV = (
    "\ufeffquestion,answer,facts,document,answerable,language\n"
    "How much is the beekeeping allowance per month?,Forty euros per month.,forty euros,"
    "Beekeeping allowance,true,en\n"
    "Quanto vale o vale de oficina para quem vem de bicicleta?,Sessenta reais por trimestre.,"
    "sessenta reais,Política de bicicletas,sim,pt\n"
    "When is the lighthouse lamp inspected?,,Thursday at dusk,Lighthouse rota,,en\n"
    "How quickly are train tickets for client visits reimbursed?,,eleven working days,"
    "Travel expenses,,en\n"
    "What is the CEO's favourite colour?,,,,false,en\n"
)
SET_JSONL_ROWS = [
    {"pergunta": "Com que frequência a lâmpada do farol é inspecionada?",
     "documento": "Lighthouse rota", "fatos": ["Thursday"], "idioma": "pt-BR"},
    {"question": "How much is the beekeeping allowance per month?",
     "document": "Beekeeping allowance", "answer": "Forty euros per month."},
]  # fmt: skip
BAD_JSONL = (
    '{"question": "How much is the beekeeping allowance?", "document": "Beekeeping allowance"}\n'
    '{"question": "", "answer": "x"}\n'
    "not json\n"
    '{"question": "Why?", "answerable": "maybe"}\n'
)


def write_corpus(folder: Path, texts: dict[str, str]) -> list[Path]:
    """One Markdown file per document (its title is the first heading)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, text in enumerate(texts.values(), start=1):
        path = folder / f"policy-{number}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_set(folder: Path) -> tuple[Path, Path, Path]:
    """(the CSV set, the JSONL set, a JSONL file with three bad lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "policies.csv"
    csv_path.write_bytes(SET_CSV.encode("utf-8"))
    jsonl = folder / "policies.jsonl"
    jsonl.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in SET_JSONL_ROWS), "utf-8"
    )
    bad = folder / "bad.jsonl"
    bad.write_text(BAD_JSONL, encoding="utf-8")
    return csv_path, jsonl, bad


# Paraphrases sharing no word with the documents: only the dense arm (the embedding
# model) can find them, so a re-index onto a worse model shows on this set.
GATE_CSV = (
    "question,document\n"
    "What do apiarists get paid for their equipment?,Beekeeping allowance\n"
    "Which weekday does someone check the beacon?,Lighthouse rota\n"
    "How long until refunds for rail fares arrive?,Travel expenses\n"
)
