"""The remote sources of ENCLAVE_SYNC_SOURCES, opened one at a time for the periodic sync."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from webapp.config.sections import SyncSourceSettings
from webapp.config.settings import get_settings
from webapp.knowledge.sources.base import (
    Source,
    SourceCredentials,
    SourceError,
    public_url,
    read_password,
)

__all__ = ["configured_sources", "source_open"]


@contextmanager
def source_open(spec: SyncSourceSettings) -> Iterator[Source]:
    """The WebDAV or SMB source ``spec`` describes, closed on exit; errors name the URL only."""
    label = public_url(spec.url)
    password = read_password(
        password_file=spec.password_file, password_env=spec.password_env, label=label
    )
    credentials = SourceCredentials(user=spec.user, password=password)
    source: Source
    if spec.url.startswith("smb://"):
        from webapp.knowledge.sources.smb import SmbSource

        source = SmbSource(spec.url, credentials=credentials)
    elif spec.url.startswith(("http://", "https://")):
        from webapp.knowledge.sources.webdav import WebDavSource

        source = WebDavSource(spec.url, credentials=credentials)
    else:
        raise SourceError(f"{label}: not a WebDAV or SMB URL")
    try:
        yield source
    finally:
        source.close()


def configured_sources() -> Iterator[tuple[str, AbstractContextManager[Source]]]:
    """(collection name, the source to open) for each ENCLAVE_SYNC_SOURCES entry."""
    for name, spec in get_settings().ingestion.sync_sources.items():
        yield name, source_open(spec)
