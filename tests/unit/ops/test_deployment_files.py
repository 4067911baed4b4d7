"""The deployment examples an admin copies: the compose file against the Compose specification,
the systemd units through ``systemd-analyze verify``, and the settings they must carry."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

OPS = Path(__file__).resolve().parents[3] / "ops"
COMPOSE = OPS / "compose" / "docker-compose.yml"
UNITS = sorted((OPS / "systemd").glob("*.service"))
# ${VAR}, ${VAR:-default}, ${VAR:?message}: what `docker compose` substitutes first.
VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def _interpolated(text: str, env: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if name in env:
            return env[name]
        if kind == "?":
            raise AssertionError(f"compose would stop: {default}")
        return default or ""

    return VARIABLE.sub(value, text)


def _compose_env() -> dict[str, str]:
    lines = (OPS / "compose" / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_compose_file_follows_the_compose_specification() -> None:
    compose_spec = pytest.importorskip("compose_spec", reason="pip install -e '.[test]'")
    text = _interpolated(COMPOSE.read_text(), _compose_env())

    parsed = compose_spec.PyOptions(apply_merge=True).from_yaml(text)

    parsed.validate()
    assert sorted(parsed.service_names()) == [
        "postgres", "qdrant", "redis", "vllm-0", "vllm-1", "web", "worker", "worker-beat",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("right", "wrong", "message"),
    [
        ("    restart: unless-stopped", "    restartt: unless-stopped", "restartt"),
        ("interval: 5s", "interval: five seconds", "five seconds"),
        ("condition: service_healthy", "condition: healthy", "unknown variant `healthy`"),
    ],
)
def test_the_compose_specification_check_catches_a_wrong_file(
    right: str, wrong: str, message: str
) -> None:
    compose_spec = pytest.importorskip("compose_spec", reason="pip install -e '.[test]'")
    text = _interpolated(COMPOSE.read_text(), _compose_env())
    assert right in text

    with pytest.raises(ValueError, match=re.escape(message)):
        compose_spec.PyOptions(apply_merge=True).from_yaml(text.replace(right, wrong, 1))


def test_compose_runs_a_pinned_qdrant_with_a_key_and_a_health_check_behind_tls() -> None:
    spec = yaml.safe_load(_interpolated(COMPOSE.read_text(), _compose_env()))
    qdrant, web = spec["services"]["qdrant"], spec["services"]["web"]
    key = _compose_env()["QDRANT_API_KEY"]

    assert re.fullmatch(r"qdrant/qdrant:v1\.19\.\d+", qdrant["image"])
    assert qdrant["environment"]["QDRANT__SERVICE__API_KEY"] == key
    assert "/readyz" in qdrant["healthcheck"]["test"][1]
    assert web["environment"]["ENCLAVE_QDRANT_API_KEY"] == key
    assert web["environment"]["ENCLAVE_SECURE_COOKIES"] == "true"
    assert web["depends_on"]["qdrant"] == {"condition": "service_healthy"}


def test_the_systemd_environment_file_turns_on_secure_cookies_and_the_qdrant_key() -> None:
    text = (OPS / "systemd" / "enclave.env.example").read_text()

    assert "\nENCLAVE_SECURE_COOKIES=true\n" in text
    assert "\nENCLAVE_QDRANT_API_KEY=" in text


def test_nginx_streams_every_answer_route_unbuffered_for_ten_minutes() -> None:
    conf = (OPS / "nginx" / "enclave.conf").read_text()
    for route in ("= /chat/ask", "= /api/v1/ask", "/api/v1/conversations/", "/v1/"):
        block = conf.split(f"location {route} {{", 1)[1].split("}", 1)[0]
        assert "proxy_buffering off;" in block, route
        assert "proxy_read_timeout 600s;" in block, route


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"
)
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Each unit as installed, with its programs stubbed (verify checks they exist)."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for program in ("enclave", "vllm", "qdrant"):
        (stubs / program).write_text("#!/bin/sh\n")
        (stubs / program).chmod(0o755)
    copies = []
    for unit in UNITS:
        text = re.sub(
            r"/opt/(enclave|vllm)/venv/bin/|/usr/local/bin/", f"{stubs}/", unit.read_text()
        )
        (tmp_path / unit.name).write_text(text)
        copies.append(str(tmp_path / unit.name))
    assert len(copies) == 4

    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *copies],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
