"""``enclave upgrade`` on a home made by an earlier release (tests/fixtures/homes, its script).

The home holds an admin, an employee with an API token and an ingested
handbook. After the upgrade a server started on it answers the employee with
the same citation; the home was indexed with all-MiniLM-L6-v2, so with the
multilingual default the upgrade starts a background rebuild that the server
finishes while answers go on.
The home is SQLite (a copied file) in both stages; only the broker follows
stage 2's Redis.
"""

from __future__ import annotations

import json
import stat
import tarfile
import time
from pathlib import Path

import pytest

from tests.support.chat import login
from tests.support.documents import LEAVE_SENTENCE
from tests.support.server import process_env, run_cli
from tests.support.site import ADMIN, Site, running_site

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "homes"
QUESTION = "How many days of annual leave do employees get?"


def _old_home(tmp_path: Path, **extra: str) -> tuple[Path, dict[str, str], dict[str, str]]:
    home = tmp_path / "home"
    with tarfile.open(FIXTURE / "home.tar.xz") as archive:
        archive.extractall(home, filter="data")
    env = process_env(home, ENCLAVE_SECRET_KEY=(home / "secret_key").read_text(), **extra)
    env.pop("ENCLAVE_DATABASE_URL", None)  # the old home's own SQLite file
    env.pop("ENCLAVE_ADMIN_PASSWORD", None)
    tokens = {"alice": json.loads((FIXTURE / "home.json").read_text())["alice_token"]}
    return home, env, tokens


def _ask(site: Site) -> tuple[str, list[tuple]]:
    reply = site.api("alice").post("/api/v1/ask", json={"question": QUESTION})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return body["answer"], [(c["title"], c["page"]) for c in body["citations"]]


def test_upgrade_migrates_and_the_old_home_answers_as_before(tmp_path: Path) -> None:
    home, env, tokens = _old_home(tmp_path)

    done = run_cli(["upgrade"], env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "migrations applied" in done.stdout
    # The fixture home was made in another folder: its handbook is read from this one.
    assert f"Originals: 1 documents now read from {home / 'uploads'}." in done.stdout
    with running_site(env, home, tokens) as site:
        answer, citations = _ask(site)
    assert LEAVE_SENTENCE in answer
    assert citations[0] == ("handbook", 2)


def test_the_first_admin_password_goes_to_a_file_only_the_service_user_reads(
    tmp_path: Path,
) -> None:
    """The old home has no superuser: the first start creates one; its log shows the path."""
    home, env, tokens = _old_home(tmp_path)

    with running_site(env, home, tokens) as site:
        saved = home / "first-admin-password"
        password = saved.read_text().strip()
        signed_in = login(site.url, "admin", password)
        signed_in.close()
    log = (home / "serve.log").read_text()

    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert f"The first admin's password is in {saved} (readable by this user only)." in log
    assert password not in log


def test_upgrade_of_a_minilm_home_rebuilds_the_index_with_the_default_model_in_the_background(
    tmp_path: Path,
) -> None:
    home, env, tokens = _old_home(tmp_path)

    done = run_cli(["upgrade"], env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "in the background (0/1 documents)" in done.stdout
    assert "enclave serve builds it when it starts" in done.stdout
    with running_site(env, home, {**tokens}) as site:
        console = site.web(ADMIN)
        deadline = time.monotonic() + 300
        while True:
            status = console.get("/console/search-index/status").json()
            if status["building"] is None and status["active"]["model"].endswith("numpy"):
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
        _ask(site)  # the server answers on the switched index (200)
    assert status["active"]["documents"] == 1
    assert status["active"]["model"] == "use-multilingual-v3 (packaged), numpy"
