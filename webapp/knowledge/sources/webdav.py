"""A WebDAV collection as a source (Nextcloud, ownCloud, SharePoint Server libraries, Apache).

Plain ``PROPFIND`` with ``Depth: 1``, folder by folder (servers such as
Nextcloud refuse ``Depth: infinity``), over httpx with basic authentication.
The change stamp is ``getlastmodified`` (whole seconds) with the ``getetag``
folded into its sub-second digits: a file rewritten within the same second
with the same size still gets a new ETag, so it still reads as changed.
"""

from __future__ import annotations

import hashlib
import posixpath
import tempfile
import xml.etree.ElementTree as ET
from collections import deque
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import quote, unquote, urlsplit

import httpx

from webapp.knowledge.folders import SkippedEntry
from webapp.knowledge.sources.base import (
    ESCAPE,
    SourceAuthError,
    SourceCredentials,
    SourceEntry,
    SourceListing,
    SourceUnavailableError,
    public_url,
    relative_path,
)

__all__ = ["WebDavSource"]

_DAV = "{DAV:}"
_PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
    "<d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getetag/>"
    "</d:prop></d:propfind>"
)
_SPOOL_BYTES = 8 * 1024 * 1024  # smaller downloads stay in memory
_CHUNK = 1024 * 1024


class WebDavSource:
    """A WebDAV collection; an entry's key is ``<url>/<relative path>``."""

    def __init__(self, url: str, *, credentials: SourceCredentials, timeout_s: float = 30) -> None:
        self.root = public_url(url)
        self._base = urlsplit(self.root)
        self._root_path = unquote(self._base.path).rstrip("/")
        self._client = httpx.Client(
            auth=httpx.BasicAuth(credentials.user, credentials.password),
            timeout=timeout_s,
            follow_redirects=False,  # a redirect could lead anywhere; the URL must be the real one
        )

    def __repr__(self) -> str:
        return f"WebDavSource({self.root!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def owns(self, key: str) -> bool:
        """A key under this collection's URL."""
        return key.startswith(self.root + "/")

    def list(self, *, extensions: frozenset[str]) -> SourceListing:
        """Every file of a supported type, folder by folder; a folder that fails stops the pass."""
        listing = SourceListing()
        seen: set[str] = set()
        folders: deque[str] = deque([""])
        while folders:
            folder = folders.popleft()
            for href, props in self._propfind(folder):
                relative = self._relative(href)
                if relative is None:
                    listing.skipped.append(SkippedEntry(unquote(href), ESCAPE))
                    continue
                if relative in ("", folder) or relative in seen:
                    continue  # the folder itself, or a server repeating itself
                seen.add(relative)
                if posixpath.basename(relative).startswith("."):
                    continue
                if props.find(f"{_DAV}resourcetype/{_DAV}collection") is not None:
                    folders.append(relative)
                elif posixpath.splitext(relative)[1].lower() in extensions:
                    listing.entries.append(self._entry(relative, props))
        listing.entries.sort(key=lambda entry: entry.relative)
        return listing

    def open(self, entry: SourceEntry) -> BinaryIO:
        """Download the file into a spooled temporary file, read from the start."""
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (returned)
        try:
            with self._client.stream("GET", self._url(entry.relative)) as response:
                if response.status_code == 404:
                    raise FileNotFoundError(2, "removed since the listing", entry.key)
                self._check(response, what=f"GET {entry.key}")
                for block in response.iter_bytes(_CHUNK):
                    spool.write(block)
        except httpx.HTTPError as exc:
            spool.close()
            raise SourceUnavailableError(f"{entry.key}: {type(exc).__name__}") from None
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def _url(self, relative: str) -> str:
        return f"{self.root}/{quote(relative)}" if relative else f"{self.root}/"

    def _propfind(self, folder: str) -> list[tuple[str, ET.Element]]:
        headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        url = self._url(folder + "/" if folder else "")
        try:
            response = self._client.request("PROPFIND", url, content=_PROPFIND, headers=headers)
        except httpx.HTTPError as exc:
            raise SourceUnavailableError(
                f"{self.root}: cannot connect ({type(exc).__name__})"
            ) from None
        self._check(response, what=f"PROPFIND {unquote(url)}")
        try:
            # ElementTree resolves no external entities; expat caps entity expansion.
            tree = ET.fromstring(response.content)
        except ET.ParseError:
            raise SourceUnavailableError(f"{self.root}: the server's listing is not XML") from None
        found = []
        for item in tree.iter(f"{_DAV}response"):
            href = item.findtext(f"{_DAV}href") or ""
            props = _ok_props(item)
            if props is not None:
                found.append((href.strip(), props))
        return found

    def _check(self, response: httpx.Response, *, what: str) -> None:
        if response.status_code in (401, 403):
            raise SourceAuthError(
                f"{self.root}: the server refused the credentials (HTTP {response.status_code})"
            )
        if response.status_code >= 300:
            raise SourceUnavailableError(f"{what}: HTTP {response.status_code}")

    def _relative(self, href: str) -> str | None:
        """The href as a path under the root ('' for the root), or None when it leaves it."""
        parts = urlsplit(href)
        if parts.netloc and (parts.scheme, parts.netloc) != (self._base.scheme, self._base.netloc):
            return None  # another server
        path = unquote(parts.path)
        if path.rstrip("/") == self._root_path:
            return ""
        if not path.startswith(self._root_path + "/"):
            return None
        return relative_path(path[len(self._root_path) + 1 :])

    def _entry(self, relative: str, props: ET.Element) -> SourceEntry:
        size = int(props.findtext(f"{_DAV}getcontentlength") or 0)
        return SourceEntry(
            key=f"{self.root}/{relative}",
            relative=relative,
            size=size,
            mtime_ns=_stamp(
                props.findtext(f"{_DAV}getlastmodified"), props.findtext(f"{_DAV}getetag")
            ),
        )


def _ok_props(item: ET.Element) -> ET.Element | None:
    """The ``prop`` of the response's ``200 OK`` propstat (the others list what is missing)."""
    for propstat in item.iter(f"{_DAV}propstat"):
        if " 200 " in (propstat.findtext(f"{_DAV}status") or ""):
            return propstat.find(f"{_DAV}prop")
    return None


def _stamp(modified: str | None, etag: str | None) -> int:
    """Seconds of ``getlastmodified`` as nanoseconds, the ETag's fingerprint below them."""
    seconds = 0
    if modified:
        try:
            seconds = int(parsedate_to_datetime(modified).timestamp())
        except (TypeError, ValueError):
            seconds = 0
    fingerprint = int.from_bytes(hashlib.sha256((etag or "").encode()).digest()[:8], "big")
    return seconds * 1_000_000_000 + fingerprint % 1_000_000_000
