"""A backup folder's ``manifest.json``: what it holds, and the checksum of every file.

The manifest is written last, so a folder without one is a backup that did not
finish. ``verify`` refuses a folder whose files differ from the manifest
(missing, changed, or added), naming them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from webapp.core.errors import ValidationError

__all__ = ["FORMAT", "MANIFEST", "BackupError", "Manifest", "checksums", "read", "verify", "write"]

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class BackupError(ValidationError):
    """A backup cannot be made or restored; the message says why and what to do."""


@dataclass
class Manifest:
    """What a backup holds (written as ``manifest.json``)."""

    enclave_version: str
    created_at: str
    database: str  # "sqlite" or "postgresql": the file is database.sqlite3 or database.pgdump
    store_kind: str  # the kind of index it was taken from ("edge", "local", "server")
    index: dict[str, Any]  # the active index: name, model_name, model_dir, backend, dimension
    counts: dict[str, int]  # users, collections, documents, indexed documents, index points
    uploads_dir: str  # where the originals were (Document.stored_path starts with it)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> sha256, bytes
    format: int = FORMAT


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            sha.update(block)
    return sha.hexdigest()


def checksums(root: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file under ``root`` but the manifest, by relative path."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if relative != MANIFEST:
            files[relative] = {"sha256": _digest(path), "bytes": path.stat().st_size}
    return files


def write(root: Path, manifest: Manifest) -> None:
    """Checksum the folder's files and write the manifest (the last file of a backup)."""
    manifest.files = checksums(root)
    partial = root / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(asdict(manifest), indent=2, sort_keys=True))
    partial.rename(root / MANIFEST)


def read(root: Path) -> Manifest:
    """The folder's manifest; BackupError when there is none or it cannot be read."""
    path = root / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{root} is not a complete backup: {MANIFEST} is missing "
            "(the backup did not finish, or this is another folder)."
        )
    try:
        data = json.loads(path.read_text())
        manifest = Manifest(**data)
    except (ValueError, TypeError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    if manifest.format != FORMAT:
        raise BackupError(f"{path} has format {manifest.format}; this Enclave reads {FORMAT}.")
    return manifest


def verify(root: Path, manifest: Manifest) -> None:
    """Refuse a folder whose files are not exactly those the manifest lists, by checksum."""
    found = checksums(root)
    problems = [f"missing: {name}" for name in sorted(set(manifest.files) - set(found))]
    problems += [
        f"changed (sha256 differs): {name}"
        for name in sorted(set(manifest.files) & set(found))
        if found[name]["sha256"] != manifest.files[name]["sha256"]
    ]
    problems += [
        f"not in the manifest: {name}" for name in sorted(set(found) - set(manifest.files))
    ]
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise BackupError(
            f"The backup in {root} is damaged; nothing was restored.\n  {shown}{more}"
        )
