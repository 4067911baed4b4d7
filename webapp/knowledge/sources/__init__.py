"""Where synced documents come from: a local folder, a WebDAV collection or an SMB share."""

from __future__ import annotations

from webapp.knowledge.sources.base import (
    Source,
    SourceAuthError,
    SourceCredentials,
    SourceEntry,
    SourceError,
    SourceListing,
    SourceUnavailableError,
    relative_path,
)
from webapp.knowledge.sources.local import LocalSource

__all__ = [
    "LocalSource",
    "Source",
    "SourceAuthError",
    "SourceCredentials",
    "SourceEntry",
    "SourceError",
    "SourceListing",
    "SourceUnavailableError",
    "relative_path",
]
