"""USE's chunk-sizing tokenizer: MiniLM's word pieces, loaded without transformers or torch."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from retrieval.chunking import token_counter
from retrieval.embedding_usem3 import _counting_tokenizer

TEXTS = [
    "Every employee is entitled to twenty-seven days of paid annual leave.",
    "Os funcionários que vêm de bicicleta recebem um vale de oficina — São Paulo, 123,45.",
    "naïve café ÇÃO 東京 clause7x3y12 applies",
]


def test_it_counts_exactly_the_word_pieces_of_the_transformers_tokenizer(tokenizer: Any) -> None:
    counting = _counting_tokenizer()
    count = token_counter(counting)

    assert [count(text) for text in TEXTS] == [len(tokenizer.tokenize(t)) for t in TEXTS]
    assert [counting.tokenize(t) for t in TEXTS] == [tokenizer.tokenize(t) for t in TEXTS]
    assert count(TEXTS[0]) == 14


def test_loading_the_use_embedder_imports_neither_transformers_nor_torch() -> None:
    # transformers imports torch: seconds at the start of every serve, ingest and ask.
    code = (
        "import sys\n"
        "from retrieval import EmbeddingConfig, USE_MULTILINGUAL_V3, load_embedder\n"
        "embedder = load_embedder(EmbeddingConfig(model=USE_MULTILINGUAL_V3, threads=1))\n"
        "print(embedder.backend, len(embedder.embed_query('leave')))\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["numpy 512", "[]"]
