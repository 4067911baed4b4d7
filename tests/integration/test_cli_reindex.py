"""Re-index from the terminal while ``enclave serve`` answers: in place, then onto a new model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.documents import make_handbook_pdf, make_security_docx
from tests.support.models import SECOND_MODEL_DIMENSION
from tests.support.server import ServeProcess, process_env, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUESTION = "How many days of paid annual leave do employees get?"


def test_reindex_in_place_then_onto_another_model_while_serve_runs(
    tmp_path_factory, tmp_path, second_model_dir
):
    home = tmp_path_factory.mktemp("reindex-home")
    env = process_env(home)
    handbook = make_handbook_pdf(tmp_path / "handbook.pdf")
    security = make_security_docx(tmp_path / "security.docx")
    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    try:
        ingested = run_cli(["ingest", str(handbook), str(security), "--collection", "HR"], env)
        in_place = run_cli(["reindex", "--collection", "HR"], env)
        rebuilt = run_cli(["reindex", "--all", "--model", str(second_model_dir)], env)
        answered = run_cli(["ask", QUESTION, "--user", "admin"], env)
        doctor = run_cli(["doctor"], env)
    finally:
        serve.stop()

    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert in_place.returncode == 0, in_place.stdout + in_place.stderr
    assert "2 indexed, 0 failed." in in_place.stdout
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert f"with {second_model_dir}, torch ({SECOND_MODEL_DIMENSION} dimensions)" in rebuilt.stdout
    assert f"with {second_model_dir}, torch is active (2 documents)" in rebuilt.stdout
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert "twenty-seven days" in answered.stdout
    assert "handbook, page 2" in answered.stdout
    index_line = next(line for line in doctor.stdout.splitlines() if "search index" in line)
    assert f"built with {second_model_dir}, torch ({SECOND_MODEL_DIMENSION} dims)" in index_line
    assert "rebuild in progress" not in index_line
    assert f"{second_model_dir.name}/torch: {SECOND_MODEL_DIMENSION} dimensions" in doctor.stdout
    assert not (home / "qdrant-edge").exists()  # the old index is gone


def _serve_until_rebuilt(
    env: dict[str, str], home: Path, question: str
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """Serve until doctor shows a new index active; doctor's index lines, then the answer."""
    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    lines = []
    try:
        for _attempt in range(30):
            doctor = run_cli(["doctor"], env)
            lines.append(next(li for li in doctor.stdout.splitlines() if "search index" in li))
            if "active enclave_chunks_" in lines[-1]:
                break
        answered = run_cli(["ask", question, "--user", "admin"], env)
    finally:
        serve.stop()
    return lines, answered


def test_serve_started_with_another_configured_model_rebuilds_in_the_background(
    tmp_path_factory, tmp_path, second_model_dir
):
    home = tmp_path_factory.mktemp("model-change-home")
    handbook = make_handbook_pdf(tmp_path / "handbook.pdf")
    first = process_env(home)
    ingested = run_cli(["ingest", str(handbook), "--collection", "HR"], first)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    # The same home and database (stage 2 gives every process_env a fresh PostgreSQL one).
    env = {**first, "ENCLAVE_EMBEDDING_MODEL_DIR": str(second_model_dir)}
    lines, answered = _serve_until_rebuilt(env, home, QUESTION)

    log = (home / "serve.log").read_text()
    assert "Building index enclave_chunks_" in log
    assert f"with {second_model_dir}, torch in the background" in log
    assert f"built with {second_model_dir}, torch ({SECOND_MODEL_DIMENSION} dims)" in lines[-1]
    assert "rebuild in progress" not in lines[-1]
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert "twenty-seven days" in answered.stdout
    assert not (home / "qdrant-edge").exists()


# The handbook is English; the question Portuguese (the default model embeds both).
PORTUGUESE_QUESTION = "Quantos dias de férias remuneradas os funcionários têm por ano?"


def test_an_installation_indexed_with_minilm_moves_to_the_multilingual_default_at_start(
    tmp_path_factory, tmp_path
):
    home = tmp_path_factory.mktemp("minilm-home")
    handbook = make_handbook_pdf(tmp_path / "handbook.pdf")
    # Indexed while all-MiniLM-L6-v2 was the configured (then the default) model.
    before = process_env(home, ENCLAVE_EMBEDDING_MODEL="all-MiniLM-L6-v2")
    ingested = run_cli(["ingest", str(handbook), "--collection", "HR"], before)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    asked_before = run_cli(["ask", PORTUGUESE_QUESTION, "--user", "admin"], before)
    env = {k: v for k, v in before.items() if k != "ENCLAVE_EMBEDDING_MODEL"}
    lines, answered = _serve_until_rebuilt(env, home, PORTUGUESE_QUESTION)

    log = (home / "serve.log").read_text()
    assert "with use-multilingual-v3 (packaged), numpy in the background" in log
    assert "built with use-multilingual-v3 (packaged), numpy (512 dims)" in lines[-1]
    assert "rebuild in progress" not in lines[-1]
    # MiniLM could not match the Portuguese question to the English page; USE does.
    assert "twenty-seven days" not in asked_before.stdout
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert "twenty-seven days" in answered.stdout
    assert "handbook, page 2" in answered.stdout
    assert not (home / "qdrant-edge").exists()
