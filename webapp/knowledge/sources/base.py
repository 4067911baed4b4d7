"""What the sync walks: a source lists its files and opens one of them.

A source is a local folder, a WebDAV collection or an SMB share. Each entry
carries its ``key`` (what ``Document.source_path`` keeps: the absolute path
of a local file, the credential-free URL of a remote one), the path relative
to the root, the size and a change stamp (``mtime_ns``). The sync compares
size and stamp with what it saw last time, so a source's stamp must change
when the content does.

A remote server decides what it lists, so its paths are not trusted: a path
with ``..``, an absolute path, a backslash, a control character or one that
lies outside the configured root is refused and reported (``relative_path``).
Credentials stay inside ``SourceCredentials``: its ``repr`` and every error
raised here name the source by its credential-free URL only.

Errors (``SourceError`` is the root):

    SourceError
    ├── SourceAuthError         the server refused the credentials
    └── SourceUnavailableError  unreachable, or a listing failed part-way

A listing that fails part-way raises, so a pass never mistakes an unreadable
folder for deleted files.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

from webapp.knowledge.folders import SkippedEntry

__all__ = [
    "ESCAPE",
    "Source",
    "SourceAuthError",
    "SourceCredentials",
    "SourceEntry",
    "SourceError",
    "SourceListing",
    "SourceUnavailableError",
    "public_url",
    "read_password",
    "relative_path",
]

ESCAPE = "path escapes the configured root (refused)"


class SourceError(Exception):
    """A source could not be listed or read; the message never holds credentials."""


class SourceAuthError(SourceError):
    """The server refused the credentials."""


class SourceUnavailableError(SourceError):
    """The server could not be reached, or answered a listing with an error."""


@dataclass(frozen=True)
class SourceCredentials:
    """A user name and password; the password never shows in ``repr`` or ``str``."""

    user: str
    password: str = field(repr=False)


def public_url(url: str) -> str:
    """``url`` without a trailing slash; refused when it carries a user or password."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "smb") or not parts.hostname:
        raise SourceError(f"not an http(s):// or smb:// URL: {parts.scheme}://{parts.hostname}")
    if parts.username is not None or parts.password is not None:
        # Refused whole: a URL with a password would end up in every source_path and log line.
        raise SourceError(
            "a source URL must not hold a user or password (use user and password_file)"
        )
    return url.rstrip("/")


def read_password(*, password_file: Path | None, password_env: str | None, label: str) -> str:
    """The password from a file (first line) or an environment variable; errors name neither."""
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as exc:
            raise SourceAuthError(
                f"{label}: cannot read the password file {password_file}"
            ) from exc
    if password_env is not None:
        value = os.environ.get(password_env)
        if not value:
            raise SourceAuthError(f"{label}: the variable {password_env} is not set")
        return value
    raise SourceAuthError(f"{label}: no password_file or password_env")


@dataclass(frozen=True)
class SourceEntry:
    """A file a source lists: identity, path under the root, size and change stamp."""

    key: str
    relative: str
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        """The file's own name (the last part of its path)."""
        return posixpath.basename(self.relative)


@dataclass
class SourceListing:
    """The files to read under a source's root, and what was left out (with the reason)."""

    entries: list[SourceEntry] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)


class Source(Protocol):
    """A tree of files the sync follows."""

    root: str  # the key prefix of every entry: a folder's path, a share's URL

    def list(self, *, extensions: frozenset[str]) -> SourceListing:
        """Every readable file of a supported type under the root (hidden ones left out)."""
        ...

    def open(self, entry: SourceEntry) -> BinaryIO:
        """The entry's content, read from the start."""
        ...

    def owns(self, key: str) -> bool:
        """Whether a stored ``source_path`` belongs to this source."""
        ...

    def close(self) -> None:
        """Release connections (nothing for a local folder)."""
        ...


def relative_path(raw: str) -> str | None:
    """``raw`` as a clean path under the root ('a/b.txt'), or None when it could escape it."""
    if not raw or raw.startswith("/") or "\\" in raw:
        return None
    if any(ord(char) < 32 for char in raw):
        return None
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if not parts or any(part == ".." for part in parts):
        return None
    return "/".join(parts)
