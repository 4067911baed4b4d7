"""Real identity providers on 127.0.0.1: an OpenID Connect provider and slapd."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.environment import IN_CI, REQUIRE_SERVICES
from tests.support.processes import terminate
from webapp.config.settings import EnclaveSettings
from webapp.sso.django_config import sso_django_settings

HERE = Path(__file__).parent
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
CLIENT_ID = "enclave"
CLIENT_SECRET = "client-secret-for-tests"
REDIRECT_URI = "http://testserver/oidc/callback/"
BASE_DN = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "ldap-admin-secret"

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {home}/slapd.pid
database mdb
maxsize 10485760
suffix "{base}"
rootdn "{admin}"
rootpw {password}
directory {home}/data
access to attrs=userPassword by self read by anonymous auth by * none
access to * by users read by * none
"""

DIRECTORY = """\
dn: {base}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,{base}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{base}
objectClass: organizationalUnit
ou: groups

dn: uid=lena,ou=people,{base}
objectClass: inetOrgPerson
uid: lena
cn: Lena Lopes
givenName: Lena
sn: Lopes
mail: lena@example.org
userPassword: lena-directory-pw

dn: uid=ivan,ou=people,{base}
objectClass: inetOrgPerson
uid: ivan
cn: Ivan Ito
givenName: Ivan
sn: Ito
mail: ivan@example.org
userPassword: ivan-directory-pw

dn: cn=HR Department,ou=groups,{base}
objectClass: groupOfNames
cn: HR Department
member: uid=lena,ou=people,{base}

dn: cn=Directory Admins,ou=groups,{base}
objectClass: groupOfNames
cn: Directory Admins
member: uid=ivan,ou=people,{base}

dn: cn=Canteen,ou=groups,{base}
objectClass: groupOfNames
cn: Canteen
member: uid=lena,ou=people,{base}
member: uid=ivan,ou=people,{base}
"""


def _missing(what: str) -> None:
    if IN_CI or REQUIRE_SERVICES:
        pytest.fail(f"{what} is not installed (ops/services/install-system-deps.sh)")
    pytest.skip(f"{what} is not installed (ops/services/install-system-deps.sh)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited early: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    terminate(process, timeout_s=10)


@dataclass(frozen=True)
class Provider:
    url: str


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory) -> Iterator[Provider]:
    """The Authlib provider as its own process, registered with Enclave as a client."""
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    command = [
        sys.executable,
        str(HERE / "oidc_provider.py"),
        "--port",
        "0",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--redirect-uri",
        REDIRECT_URI,
    ]
    with log.open("w") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("LISTENING "):
        _stop(process)
        raise RuntimeError(f"OIDC provider did not start: {line!r} {log.read_text()[-2000:]}")
    yield Provider(url=f"http://127.0.0.1:{line.split()[1]}")
    _stop(process)


@dataclass(frozen=True)
class Directory:
    uri: str


@pytest.fixture(scope="module")
def slapd(tmp_path_factory) -> Iterator[Directory]:
    """slapd from Debian on a free port, loaded with two users and three groups."""
    if not Path(SLAPD).exists():
        _missing("slapd")
    home = tmp_path_factory.mktemp("slapd")
    (home / "data").mkdir()
    conf = home / "slapd.conf"
    conf.write_text(
        SLAPD_CONF.format(home=home, base=BASE_DN, admin=ADMIN_DN, password=ADMIN_PASSWORD)
    )
    ldif = home / "directory.ldif"
    ldif.write_text(DIRECTORY.format(base=BASE_DN))
    loaded = subprocess.run(
        [SLAPADD, "-f", str(conf), "-l", str(ldif)], capture_output=True, text=True, check=False
    )
    assert loaded.returncode == 0, loaded.stderr
    port = _free_port()
    log = home / "slapd.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/", "-d", "256"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield Directory(uri=f"ldap://127.0.0.1:{port}")
    finally:
        _stop(process)


def apply_sign_in_settings(settings, **fields) -> None:
    """Switch Django to the sign-in settings derived from these Enclave settings."""
    for name, value in sso_django_settings(EnclaveSettings(**fields)).items():
        setattr(settings, name, value)
