"""An SMB/CIFS share as a source (Windows file servers, Samba, NAS appliances), with smbprotocol.

The URL is ``smb://server[:port]/share/folder``. Each source has its own
connection cache, so its session and credentials are never shared with
another source nor left in smbclient's process-wide pool. Reparse points
(symbolic links, junctions) are reported and not followed, like links in a
local folder; names the server returns are checked like WebDAV paths.
"""

from __future__ import annotations

import posixpath
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

import smbclient
from smbprotocol.exceptions import SMBAuthenticationError, SMBException, SMBOSError
from smbprotocol.file_info import FileAttributes

from webapp.knowledge.folders import LINK, SkippedEntry
from webapp.knowledge.sources.base import (
    ESCAPE,
    SourceAuthError,
    SourceCredentials,
    SourceEntry,
    SourceError,
    SourceListing,
    SourceUnavailableError,
    public_url,
    relative_path,
)

__all__ = ["SmbSource"]

# NTSTATUS codes that mean "these credentials are not accepted here".
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DENIED = {0xC000006D, 0xC0000022, 0xC000006E, 0xC0000072, 0xC0000071}


class SmbSource:
    """A folder of an SMB share; an entry's key is ``smb://server[:port]/share/<relative path>``."""

    def __init__(self, url: str, *, credentials: SourceCredentials, timeout_s: float = 30) -> None:
        self.root = public_url(url)
        parts = urlsplit(self.root)
        if parts.scheme != "smb" or not parts.path.strip("/"):
            raise SourceError(f"{self.root}: expected smb://server/share[/folder]")
        self._server = parts.hostname or ""
        self._unc = "\\\\" + self._server + "\\" + unquote(parts.path).strip("/").replace("/", "\\")
        self._cache: dict[str, Any] = {}
        self._session = {
            "username": credentials.user,
            "password": credentials.password,
            "port": parts.port or 445,
            "connection_timeout": timeout_s,
            "connection_cache": self._cache,
        }

    def __repr__(self) -> str:
        return f"SmbSource({self.root!r})"

    def close(self) -> None:
        """Log off and close this source's connections."""
        smbclient.reset_connection_cache(connection_cache=self._cache)

    def owns(self, key: str) -> bool:
        """A key under this share folder's URL."""
        return key.startswith(self.root + "/")

    def list(self, *, extensions: frozenset[str]) -> SourceListing:
        """Every file of a supported type; a folder that cannot be listed stops the pass."""
        listing = SourceListing()
        self._connect()
        folders = [""]
        while folders:
            folder = folders.pop()
            for entry in self._scandir(folder):
                self._take(folder, entry, extensions, listing, folders)
        listing.entries.sort(key=lambda found: found.relative)
        return listing

    def open(self, entry: SourceEntry) -> BinaryIO:
        """Open the file on the share for reading."""
        try:
            return smbclient.open_file(self._path(entry.relative), mode="rb", **self._session)
        except SMBOSError as exc:
            raise _os_error(exc, entry.key) from None
        except SMBException as exc:
            raise SourceUnavailableError(f"{entry.key}: {type(exc).__name__}") from None

    def _path(self, relative: str) -> str:
        return self._unc + ("\\" + relative.replace("/", "\\") if relative else "")

    def _connect(self) -> None:
        try:
            smbclient.register_session(self._server, **self._session)
        except (SMBException, OSError, ValueError) as exc:
            raise self._error(exc, self.root) from None

    def _scandir(self, folder: str) -> list[Any]:
        try:
            return list(smbclient.scandir(self._path(folder), **self._session))
        except (SMBException, OSError, ValueError) as exc:
            raise self._error(exc, f"{self.root}/{folder}") from None

    def _error(self, exc: Exception, where: str) -> SourceError:
        """What a failed connection or listing shows (the URL, never the password)."""
        status = getattr(exc, "ntstatus", None) or getattr(exc, "status", None)
        if isinstance(exc, SMBAuthenticationError) or status in _DENIED:
            return SourceAuthError(f"{self.root}: the server refused the credentials")
        if isinstance(exc, SMBOSError):
            return SourceUnavailableError(f"{where}: {exc.strerror}")
        return SourceUnavailableError(f"{where}: cannot connect ({type(exc).__name__})")

    def _take(
        self,
        folder: str,
        entry: Any,
        extensions: frozenset[str],
        listing: SourceListing,
        folders: list[str],
    ) -> None:
        relative = relative_path(f"{folder}/{entry.name}" if folder else entry.name)
        if relative is None or "/" in entry.name:
            listing.skipped.append(SkippedEntry(f"{self.root}/{folder}/{entry.name}", ESCAPE))
            return
        if entry.name.startswith("."):
            return
        key = f"{self.root}/{relative}"
        # Only what the listing already says: any further call would open a new connection.
        info = entry.smb_info
        if info.file_attributes & FileAttributes.FILE_ATTRIBUTE_REPARSE_POINT:
            listing.skipped.append(SkippedEntry(key, LINK))  # a link or a junction
        elif info.file_attributes & FileAttributes.FILE_ATTRIBUTE_DIRECTORY:
            folders.append(relative)
        elif posixpath.splitext(relative)[1].lower() in extensions:
            mtime_ns = (info.last_write_time - _EPOCH) // timedelta(microseconds=1) * 1000
            listing.entries.append(SourceEntry(key, relative, info.end_of_file, mtime_ns))


def _os_error(exc: SMBOSError, key: str) -> OSError:
    """An error the sync skips the file for (gone, locked, denied) rather than stopping."""
    if exc.errno == 2:
        return FileNotFoundError(2, "removed since the listing", key)
    return PermissionError(exc.errno or 13, exc.strerror or "cannot be read", key)
