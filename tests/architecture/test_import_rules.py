"""The import rules of pyproject.toml ([tool.importlinter]), kept by the real code."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"Contracts: (\d+) kept, (\d+) broken\.")


def test_every_import_contract_is_kept():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--config", "pyproject.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = SUMMARY.search(result.stdout)
    assert summary, result.stdout + result.stderr
    kept, broken = int(summary[1]), int(summary[2])
    broken_names = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert (broken, broken_names) == (0, []), result.stdout
    # Every contract in the file was checked: none was skipped or failed to load.
    assert kept == len(contracts), result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
