"""Which files of a folder Enclave reads: one walk for ``enclave ingest DIR``, ``enclave sync``
and the folders of ENCLAVE_SYNC_FOLDERS.

Whoever can write to a synced share decides what is in it, so the walk only
takes what is really there:

- Symbolic links are never followed, to files or folders, wherever they point.
  A link could pull any file the service account can read into search (the
  server's secret key, /etc/passwd). Following only links that resolve inside
  the folder would add nothing (their target is ingested anyway) and leave a
  race between checking a link and opening it; so every link is skipped.
- Only regular files: devices, FIFOs and sockets are skipped without being
  opened (opening a FIFO blocks until someone writes to it).
- Nothing under Enclave's home directory (secret key, database, uploads, index).
- Hidden files and folders (a name starting with ".") and, for sync, files
  of unsupported types are left out silently.

Every other entry left out is reported with its reason. Files are opened
with ``open_folder_file``, which checks again at open time (a file swapped
for a link after the walk is refused).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "UNREADABLE",
    "FolderFile",
    "FolderScan",
    "SkippedEntry",
    "UnsafeFileError",
    "folder_scan",
    "open_folder_file",
    "unreadable_reason",
    "unsafe_reason",
]

LINK = "symbolic link (links are not followed)"
NOT_REGULAR = "not a regular file ({kind})"
IN_HOME = "inside Enclave's home directory"


class UnsafeFileError(OSError):
    """A file that must not be read (a link, a device, Enclave's own files)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.reason = reason


# A file found by the walk that cannot be read when its turn comes: it is skipped with
# the reason; any other error (a full disk) stops the pass.
UNREADABLE = (UnsafeFileError, FileNotFoundError, PermissionError, IsADirectoryError)


def unreadable_reason(exc: OSError) -> str:
    """The reason an UNREADABLE error gives for skipping its file."""
    if isinstance(exc, UnsafeFileError):
        return exc.reason
    return f"cannot be read ({exc.strerror or type(exc).__name__})"


@dataclass(frozen=True)
class FolderFile:
    """A regular file found by the walk, with what ``stat`` said about it."""

    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SkippedEntry:
    """An entry the walk left out, and why (shown to the administrator)."""

    path: str
    reason: str


@dataclass
class FolderScan:
    """The files to read under a folder, and what was left out."""

    folder: Path
    files: list[FolderFile] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)


def folder_scan(
    folder: Path, *, home: Path, extensions: frozenset[str] | None = None
) -> FolderScan:
    """Walk ``folder`` (sorted, links not followed); ``extensions`` None keeps every type."""
    folder = Path(folder).expanduser().resolve()
    home = home.resolve()
    scan = FolderScan(folder=folder)
    if _inside(folder, home):
        scan.skipped.append(SkippedEntry(str(folder), IN_HOME))
        return scan

    def unreadable(error: OSError) -> None:
        scan.skipped.append(SkippedEntry(str(error.filename), f"cannot be read ({error.strerror})"))

    for root, dirs, names in os.walk(folder, onerror=unreadable, followlinks=False):
        base = Path(root)
        dirs[:] = sorted(d for d in dirs if _keep_folder(base / d, home, scan))
        for name in sorted(names):
            path = base / name
            if name.startswith("."):
                continue
            if extensions is not None and path.suffix.lower() not in extensions:
                continue
            entry = _entry(path, home)
            if isinstance(entry, SkippedEntry):
                scan.skipped.append(entry)
            elif entry is not None:
                scan.files.append(entry)
    return scan


def unsafe_reason(path: Path, *, home: Path) -> str | None:
    """Why a file named on the command line must not be read (after resolving links), or None."""
    entry = _entry(path.resolve(), home.resolve())
    return entry.reason if isinstance(entry, SkippedEntry) else None


def open_folder_file(path: Path, *, home: Path, inside: Path | None = None) -> BinaryIO:
    """Open a regular file for reading, refusing a link, a special file or Enclave's own files.

    Checked on the open file itself, so a file replaced by a link or a folder
    swapped for one after the walk is refused, not followed: the final name
    must not be a link (O_NOFOLLOW) and the file actually opened must lie under
    ``inside`` (when given) and outside ``home``.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeFileError(path, LINK) from exc
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(path, NOT_REGULAR.format(kind=_kind(info.st_mode)))
        real = _real_path(fd, path)
        if _inside(real, home.resolve()):
            raise UnsafeFileError(path, IN_HOME)
        if inside is not None and not _inside(real, Path(inside).resolve()):
            raise UnsafeFileError(path, f"outside the folder {inside}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _keep_folder(path: Path, home: Path, scan: FolderScan) -> bool:
    if path.name.startswith("."):
        return False
    if path.is_symlink():
        scan.skipped.append(SkippedEntry(str(path), LINK))
        return False
    if _inside(path, home):
        scan.skipped.append(SkippedEntry(str(path), IN_HOME))
        return False
    return True


def _entry(path: Path, home: Path) -> FolderFile | SkippedEntry | None:
    """What the walk makes of one name: a file to read, a skipped entry, or None (vanished)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None  # removed between listing and stat
    except OSError as exc:
        return SkippedEntry(str(path), f"cannot be read ({exc.strerror})")
    if stat.S_ISLNK(info.st_mode):
        return SkippedEntry(str(path), LINK)
    if not stat.S_ISREG(info.st_mode):
        return SkippedEntry(str(path), NOT_REGULAR.format(kind=_kind(info.st_mode)))
    if _inside(path, home):
        return SkippedEntry(str(path), IN_HOME)
    return FolderFile(path=path, size=info.st_size, mtime_ns=info.st_mtime_ns)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def _real_path(fd: int, path: Path) -> Path:
    """Where the open file really is (Linux knows it from the descriptor)."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
