"""A local folder as a source: the walk and the open-time checks of ``webapp.knowledge.folders``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from webapp.knowledge.folders import folder_scan, open_folder_file
from webapp.knowledge.sources.base import SourceEntry, SourceListing

__all__ = ["LocalSource"]


class LocalSource:
    """A folder on this machine; an entry's key is the file's absolute path."""

    def __init__(self, folder: Path, *, home: Path) -> None:
        self.folder = Path(folder).expanduser().resolve()
        if not self.folder.is_dir():
            raise FileNotFoundError(f"not a folder: {self.folder}")
        self.home = home
        self.root = str(self.folder)

    def __repr__(self) -> str:
        return f"LocalSource({self.root!r})"

    def list(self, *, extensions: frozenset[str]) -> SourceListing:
        """The folder's files (links, special files and Enclave's own files reported, not read)."""
        scan = folder_scan(self.folder, home=self.home, extensions=extensions)
        entries = [
            SourceEntry(
                key=str(found.path),
                relative=found.path.relative_to(self.folder).as_posix(),
                size=found.size,
                mtime_ns=found.mtime_ns,
            )
            for found in scan.files
        ]
        return SourceListing(entries=entries, skipped=scan.skipped)

    def open(self, entry: SourceEntry) -> BinaryIO:
        """Open, the walk's rules checked again on the open file (a swapped-in link is refused)."""
        path = Path(entry.key)
        return open_folder_file(path, home=self.home, inside=path.parent)

    def close(self) -> None:
        """Nothing to release."""

    def owns(self, key: str) -> bool:
        """A path at or under the folder."""
        return key == self.root or key.startswith(self.root + os.sep)
