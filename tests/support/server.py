"""Run the real ``enclave`` command as a separate process for CLI and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import terminate, wait_healthy

ENCLAVE = str(Path(sys.executable).with_name("enclave"))
ADMIN_PASSWORD = "admin-test-password-1"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_postgres_database(base_url: str) -> str:
    """A new, empty PostgreSQL database next to the one in ``base_url``."""
    import psycopg

    name = f"enclave_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def process_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for an ``enclave`` process on its own home (and its own PG database in CI)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCLAVE_")}
    env.update(
        ENCLAVE_HOME=str(home),
        ENCLAVE_SECRET_KEY="e2e-secret-key",
        ENCLAVE_ADMIN_PASSWORD=ADMIN_PASSWORD,
        ENCLAVE_TORCH_THREADS="1",
        # One export of the int8 embedding model for every server of the session.
        ENCLAVE_MODELS_DIR=os.environ.get("ENCLAVE_MODELS_DIR", str(home / "models")),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        # Its own broker queue: servers of other tests may share the Redis of stage 2.
        ENCLAVE_QUEUE_NAME=f"enclave-{uuid.uuid4().hex[:10]}",
    )
    database = os.environ.get("ENCLAVE_TEST_DATABASE_URL")
    broker = os.environ.get("ENCLAVE_TEST_BROKER_URL")
    if database:
        env["ENCLAVE_DATABASE_URL"] = _fresh_postgres_database(database)
    if broker:
        env["ENCLAVE_BROKER_URL"] = broker.rsplit("/", 1)[0] + "/3"
    env.update(extra)
    return env


def run_cli(
    args: list[str], env: dict[str, str], *, timeout_s: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``enclave ARGS`` to completion and capture its output."""
    return subprocess.run(
        [ENCLAVE, *args], env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )


def cli(args: list[str], env: dict[str, str], *, timeout_s: float = 300) -> str:
    """``enclave ARGS``, which must succeed; its output."""
    result = run_cli(args, env, timeout_s=timeout_s)
    assert result.returncode == 0, f"enclave {args[0]}: {result.stdout}{result.stderr}"
    return result.stdout


def token_create(env: dict[str, str], *, user: str, name: str, scope: str = "") -> str:
    """``enclave token create`` for ``user`` (default scopes unless ``scope``); the secret."""
    scopes = ["--scope", scope] if scope else []
    out = cli(["token", "create", "--user", user, "--name", name, *scopes], env)
    return out.strip().splitlines()[-1]  # the secret is printed last, on its own line


class ServeProcess:
    """``enclave serve`` on a free port, stopped with SIGTERM."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 120) -> None:
        """Start and wait until /healthz answers."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [ENCLAVE, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        failure = wait_healthy(f"{self.url}/healthz", self.process, timeout_s=timeout_s)
        if failure is not None:
            raise RuntimeError(f"enclave serve {failure}: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), killing after a while."""
        if self.process is None:
            return
        terminate(self.process, timeout_s=30)
        self.process = None


def handbook_server(
    home: Path, docs: Path, *, readers: tuple[str, ...], password: str
) -> ServeProcess:
    """``enclave serve`` with the handbook PDF in collection HR and readers in group hr."""
    from tests.support.documents import make_handbook_pdf

    env = process_env(home)
    make_handbook_pdf(docs / "handbook.pdf")
    cli(["ingest", str(docs), "--collection", "HR", "--group", "hr"], env)
    for name in readers:
        cli(["user", name, "--password", password, "--group", "hr"], env)
    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    return serve


def handbook_served(
    tmp_path_factory: pytest.TempPathFactory, name: str, *, readers: tuple[str, ...], password: str
) -> Iterator[ServeProcess]:
    """A module fixture's body: ``handbook_server`` in fresh folders, stopped afterwards."""
    serve = handbook_server(
        tmp_path_factory.mktemp(f"{name}-home"),
        tmp_path_factory.mktemp(f"{name}-docs"),
        readers=readers,
        password=password,
    )
    yield serve
    serve.stop()
