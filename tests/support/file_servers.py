"""Real file servers on 127.0.0.1 for the connector tests: WsgiDAV (WebDAV) and Samba's smbd."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.server import free_port

__all__ = ["FileServer", "webdav_server"]


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
