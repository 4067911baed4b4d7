"""Real file servers on 127.0.0.1 for the connector tests: WsgiDAV (WebDAV) and Samba's smbd."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.environment import IN_CI
from tests.support.processes import terminate
from tests.support.server import free_port

__all__ = ["FileServer", "smbd_server", "webdav_server"]


@dataclass(frozen=True)
class FileServer:
    """Where a test server serves its folder, and as whom to sign in."""

    url: str
    user: str
    password: str


@contextmanager
def webdav_server(
    root: Path,
    *,
    user: str,
    password: str,
    wrap: Callable[[Any], Any] | None = None,
) -> Iterator[FileServer]:
    """WsgiDAV on cheroot serving ``root`` at /dav with basic authentication only.

    ``wrap`` puts a WSGI middleware in front of WsgiDAV (a server that lies about paths).
    """
    from cheroot import wsgi
    from wsgidav.wsgidav_app import WsgiDAVApp

    port = free_port()
    app = WsgiDAVApp(
        {
            "host": "127.0.0.1",
            "port": port,
            "provider_mapping": {"/dav": str(root)},
            "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
            "http_authenticator": {
                "accept_basic": True,
                "accept_digest": False,
                "default_to_digest": False,
            },
            "verbose": 1,
            "logging": {"enable": False},
            "lock_storage": True,
        }
    )
    server = wsgi.Server(("127.0.0.1", port), wrap(app) if wrap else app)
    server.prepare()
    thread = threading.Thread(target=server.serve, name="webdav-test-server", daemon=True)
    thread.start()
    try:
        yield FileServer(url=f"http://127.0.0.1:{port}/dav", user=user, password=password)
    finally:
        server.stop()
        thread.join(timeout=10)


SMB_CONF = """[global]
  server role = standalone server
  netbios name = ENCLAVETEST
  smb ports = {port}
  interfaces = 127.0.0.1
  bind interfaces only = yes
  private dir = {home}/private
  lock directory = {home}/lock
  state directory = {home}/state
  cache directory = {home}/cache
  pid directory = {home}
  ncalrpc dir = {home}/ncalrpc
  log file = {home}/smbd.log
  passdb backend = tdbsam:{home}/private/passdb.tdb
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = never
  server min protocol = SMB2_10
[docs]
  path = {share}
  read only = yes
"""


@contextmanager
def smbd_server(share: Path, home: Path, *, password: str) -> Iterator[FileServer]:
    """Samba's smbd serving ``share`` as //127.0.0.1:PORT/docs to this machine's user.

    Skipped when smbd is missing, except in CI (install it with `apt-get install samba`).
    """
    smbd, pdbedit = shutil.which("smbd") or "/usr/sbin/smbd", shutil.which("pdbedit")
    if not Path(smbd).exists() or pdbedit is None:
        reason = "Samba's smbd and pdbedit are not installed (Debian: apt-get install samba)"
        if IN_CI:
            pytest.fail(f"CI must run the SMB connector tests: {reason}", pytrace=False)
        pytest.skip(reason)
    for name in ("private", "lock", "state", "cache", "ncalrpc"):
        (home / name).mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = home / "smb.conf"
    conf.write_text(SMB_CONF.format(port=port, home=home, share=share))
    user = getpass.getuser()  # smbd signs in Unix users: the one running the tests
    added = subprocess.run(
        [pdbedit, "-s", str(conf), "-a", "-t", "-u", user],
        input=f"{password}\n{password}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    with (home / "smbd.out").open("w") as out:
        process = subprocess.Popen(
            [smbd, "-s", str(conf), "--foreground", "--no-process-group", "--debug-stdout"],
            stdout=out,
            stderr=subprocess.STDOUT,
            # smbd signals its whole process group when it stops: not pytest's.
            start_new_session=True,
        )
    try:
        _wait_listening(port, process, home / "smbd.out")
        yield FileServer(url=f"smb://127.0.0.1:{port}/docs", user=user, password=password)
    finally:
        terminate(process, timeout_s=10)


def _wait_listening(port: int, process: subprocess.Popen, log: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        assert process.poll() is None, f"smbd exited: {log.read_text()[-2000:]}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"smbd did not listen: {log.read_text()[-2000:]}"
            time.sleep(0.1)
