"""Document storage behind a small interface: content-addressed by SHA-256.

`LocalStorage` writes under `DOCUMENTS_DIR` atomically (temporary file, fsync, rename), so a
reader never sees half a file. Another back end (S3-compatible) only has to provide the
same methods.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_stream(self, chunks: Iterable[bytes]) -> tuple[str, int]: ...
    def remove(self, checksum: str) -> None: ...
    def open(self, checksum: str) -> Iterator[bytes]: ...
    def exists(self, checksum: str) -> bool: ...
    def digest(self, checksum: str) -> str | None: ...


class LocalStorage:
    """Files at `<root>/<aa>/<checksum>`."""

    chunk_size = 64 * 1024

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, checksum: str) -> Path:
        if len(checksum) != 64 or not all(c in "0123456789abcdef" for c in checksum):
            raise ValueError("not a SHA-256 checksum")
        return self.root / checksum[:2] / checksum

    def put(self, data: bytes) -> str:
        """Store `data` and return its SHA-256; storing the same bytes twice is a no-op."""
        checksum = hashlib.sha256(data).hexdigest()
        target = self.path(checksum)
        if target.exists():
            return checksum
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return checksum

    def put_stream(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Store the bytes of `chunks`, hashing while writing; return (SHA-256, size).

        If iterating `chunks` raises (a refused or interrupted upload), the temporary file is
        removed and the error propagates: nothing is left behind.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            sha = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    sha.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            checksum = sha.hexdigest()
            target = self.path(checksum)
            if target.exists():
                Path(tmp).unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return checksum, size

    def remove(self, checksum: str) -> None:
        """Delete a stored file (callers make sure no record still refers to it)."""
        self.path(checksum).unlink(missing_ok=True)

    def open(self, checksum: str) -> Iterator[bytes]:
        with self.path(checksum).open("rb") as handle:
            while chunk := handle.read(self.chunk_size):
                yield chunk

    def exists(self, checksum: str) -> bool:
        return self.path(checksum).exists()

    def digest(self, checksum: str) -> str | None:
        """The SHA-256 of what is stored under `checksum` now, or None if it is missing."""
        path = self.path(checksum)
        if not path.exists():
            return None
        sha = hashlib.sha256()
        for chunk in self.open(checksum):
            sha.update(chunk)
        return sha.hexdigest()


def get_storage() -> Storage:
    from settings import get_settings

    return LocalStorage(get_settings().documents_dir)
