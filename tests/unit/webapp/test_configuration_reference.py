"""docs/configuration.md is the settings object rendered: no variable is missing or stale."""

from __future__ import annotations

import re

from webapp.config import reference
from webapp.config.settings import flat_names


def test_the_checked_in_reference_is_what_the_settings_object_renders():
    checked_in = reference.REFERENCE_PATH.read_text(encoding="utf-8")
    assert checked_in == reference.render(), (
        f"docs/configuration.md is stale; regenerate it with: {reference.REGENERATE}"
    )


def test_every_setting_has_one_row_with_a_description():
    rows = [row for section in reference.sections() for row in section.rows]
    expected = sorted(f"`ENCLAVE_{name.upper()}`" for name in flat_names())
    assert sorted(row.variable for row in rows) == expected
    assert [row.variable for row in rows if not row.description.strip()] == []


def test_a_row_reads_like_the_setting():
    text = reference.render()
    assert (
        "| `ENCLAVE_EDGE_SEARCH_THREADS` | integer ≥ 1 | `1` | Threads of Qdrant Edge's search"
        in text
    )
    assert re.search(
        r"\| `ENCLAVE_EMBEDDING_BACKEND` \| one of `torch`, `onnx-int8` \| `onnx-int8` \|", text
    )
    # A pipe inside a description is escaped, so the table keeps its four columns.
    assert "`BASE_URL\\|MODEL[\\|WEIGHT]`" in text


def test_check_reports_a_stale_file_and_names_the_command(tmp_path, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text("# Configuration\n", encoding="utf-8")
    assert reference.main(["--check", "--output", str(stale)]) == 1
    assert reference.REGENERATE in capsys.readouterr().err
    assert reference.main(["--output", str(stale)]) == 0
    assert reference.main(["--check", "--output", str(stale)]) == 0
