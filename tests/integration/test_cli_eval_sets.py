"""``enclave eval sets`` from the terminal: add, list, run as two users, history."""

from __future__ import annotations

import pytest

from tests.support.evalsets import FINANCE, POLICIES, write_corpus, write_set
from tests.support.server import process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def test_add_list_run_and_history_from_the_terminal(tmp_path_factory, tmp_path):
    home = tmp_path_factory.mktemp("evalsets-home")
    env = process_env(home, COLUMNS="200")  # rich fits its tables to the terminal width
    csv_path, jsonl_path, bad_path = write_set(tmp_path / "sets")
    setup = [
        run_cli(["user", "boss", "--admin", "--password", "boss-pass-123"], env),
        run_cli(["user", "hana", "--group", "hr", "--password", "hana-pass-123"], env),
        run_cli(
            ["ingest", *map(str, write_corpus(tmp_path / "hr", POLICIES)),
             "--collection", "Policies", "--group", "hr"], env,
        ),
        run_cli(
            ["ingest", *map(str, write_corpus(tmp_path / "fin", FINANCE)),
             "--collection", "Finance", "--group", "finance"], env,
        ),
    ]  # fmt: skip
    for done in setup:
        assert done.returncode == 0, done.stdout + done.stderr

    added = run_cli(["eval", "sets", "add", str(csv_path), "--name", "Policies"], env)
    jsonl = run_cli(["eval", "sets", "add", str(jsonl_path), "--name", "Policies PT"], env)
    bad = run_cli(["eval", "sets", "add", str(bad_path), "--name", "Broken"], env)
    listed = run_cli(["eval", "sets", "list"], env)
    as_admin = run_cli(["eval", "sets", "run", "Policies"], env)
    as_hana = run_cli(["eval", "sets", "run", "Policies", "--as", "hana"], env)
    history = run_cli(["eval", "sets", "history", "Policies"], env)

    assert added.returncode == 0, added.stdout + added.stderr
    assert "Stored 'Policies': 5 questions (en,pt)." in added.stdout
    assert "Stored 'Policies PT': 2 questions (en,pt)." in jsonl.stdout
    assert bad.returncode == 1
    assert "Line 2: the question is empty." in bad.stderr
    assert "Line 3: not valid JSON." in bad.stderr
    assert "Line 4: 'answerable' must be true or false, not 'maybe'." in bad.stderr
    assert "Broken" not in listed.stdout  # nothing stored from the bad file
    names = [line.split("│")[1].strip() for line in listed.stdout.splitlines() if "│" in line]
    assert names == ["Policies", "Policies PT"]
    assert as_admin.returncode == 0, as_admin.stdout + as_admin.stderr
    # Four questions name a document; the admin reads all four, each found first.
    assert "│ 4 │ 1.00 │ 1.00 │ 1.00 │ 1.00 │" in _squeeze(as_admin.stdout)
    # hana cannot read "Travel expenses": that question is a miss, the others are first.
    assert as_hana.returncode == 0, as_hana.stdout + as_hana.stderr
    assert "│ 4 │ 0.75 │ 0.75 │ 0.75 │ 0.75 │" in _squeeze(as_hana.stdout)
    rows = [line for line in history.stdout.splitlines() if "│ done" in line]
    assert len(rows) == 2
    index = "use-multilingual-v3 (packaged), numpy"
    assert ["boss" in rows[0], "hana" in rows[1]] == [True, True]
    assert [index in row for row in rows] == [True, True]
    assert rows[0].startswith("│ 20") and rows[0][2:18] <= rows[1][2:18]  # dated, in order


def _squeeze(text: str) -> str:
    """Table rows with single spaces around the cell borders."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines())
