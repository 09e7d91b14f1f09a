"""Where the bytes of documents live: content-addressed by SHA-256, in a local folder (the
embedded default) or in an S3-compatible bucket (several hosts), chosen by `DOCUMENTS_URL`.

Writing takes two steps so that a caller can hold a lock between them:

- `stage` spools the bytes to a local temporary file while hashing them. Nothing is visible
  in the store yet; if reading the source fails, the temporary file is removed.
- `publish` makes a staged file the object named by its checksum, atomically (a rename on
  disk, one PUT on S3): a reader sees the whole object or none. Publishing bytes that are
  already there is a no-op, and the staged file stays usable until `discard`, so a caller may
  publish it again later (see `services.document_storage`).

Reads stream in chunks of `CHUNK_SIZE`, so a download holds one chunk in memory whatever the
size of the document.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from settings import Settings

CHUNK_SIZE = 64 * 1024
STAGING_PREFIX = ".incoming-"
_CHECKSUM = re.compile(r"[0-9a-f]{64}")


class MissingObject(LookupError):
    """The store has no object under that checksum."""


def check_checksum(checksum: str) -> str:
    """`checksum` if it is a lowercase SHA-256 hex digest (the only names a store accepts)."""
    if not _CHECKSUM.fullmatch(checksum):
        raise ValueError("not a SHA-256 checksum")
    return checksum


def is_checksum(name: str) -> bool:
    return _CHECKSUM.fullmatch(name) is not None


@dataclass
class Staged:
    """Bytes spooled to a local temporary file, hashed, not yet in the store."""

    path: Path
    checksum: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    sha256: str | None  # the hash recorded with the object, when the store keeps one


class Storage(Protocol):
    """A content-addressed object store (see the module docstring for the guarantees)."""

    @property
    def url(self) -> str:
        """Where the objects are, without any secret (for messages)."""
        ...

    async def stage(self, chunks: Iterable[bytes] | AsyncIterable[bytes]) -> Staged: ...

    async def publish(self, staged: Staged) -> None: ...

    async def stat(self, checksum: str) -> ObjectInfo | None: ...

    def read(self, checksum: str) -> AsyncIterator[bytes]:
        """The object's bytes; raises `MissingObject` on the first iteration if absent."""
        ...

    async def remove(self, checksum: str) -> None: ...

    def checksums(self) -> AsyncIterator[tuple[str, int]]:
        """Every stored object as (checksum, size), in no particular order."""
        ...

    async def presigned_url(
        self, checksum: str, *, content_disposition: str, content_type: str, lifetime: timedelta
    ) -> str | None:
        """A URL of the store itself that serves the object until `lifetime` has passed, or
        None when the store cannot hand out such URLs (the local folder)."""
        ...


# -- staging (shared by every store) ---------------------------------------------------------


def _spool_sync(directory: Path, chunks: Iterable[bytes]) -> Staged:
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=STAGING_PREFIX)
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
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Staged(Path(name), sha.hexdigest(), size)


async def spool(directory: Path, chunks: Iterable[bytes] | AsyncIterable[bytes]) -> Staged:
    """Write `chunks` to a new temporary file in `directory`, hashing them; on any error the
    file is removed and the error propagates. A plain iterable may block (an upload being
    read): it is consumed in a worker thread."""
    if not isinstance(chunks, AsyncIterable):
        return await asyncio.to_thread(_spool_sync, directory, chunks)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    fd, name = await asyncio.to_thread(tempfile.mkstemp, dir=directory, prefix=STAGING_PREFIX)
    handle = os.fdopen(fd, "wb")
    try:
        sha = hashlib.sha256()
        size = 0
        async for chunk in chunks:
            sha.update(chunk)
            size += len(chunk)
            await asyncio.to_thread(handle.write, chunk)
        await asyncio.to_thread(handle.flush)
        await asyncio.to_thread(os.fsync, handle.fileno())
        handle.close()
    except BaseException:
        handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)  # a few microseconds: no thread needed
        raise
    return Staged(Path(name), sha.hexdigest(), size)


async def put_bytes(storage: Storage, data: bytes) -> str:
    """Store `data` (generated documents, demo data, tests); return its checksum."""
    staged = await storage.stage([data])
    try:
        await storage.publish(staged)
    finally:
        staged.discard()
    return staged.checksum


async def digest(storage: Storage, checksum: str) -> str | None:
    """The SHA-256 of what is stored under `checksum` now, or None if it is missing."""
    sha = hashlib.sha256()
    try:
        async for chunk in storage.read(checksum):
            sha.update(chunk)
    except MissingObject:
        return None
    return sha.hexdigest()


# -- choosing the store ----------------------------------------------------------------------

_stores: dict[tuple[object, ...], Storage] = {}


def storage_for_url(url: str | None, settings: Settings) -> Storage:
    """The store at `url`: unset or `file:///path` is a local folder (`DOCUMENTS_DIR` when
    unset), `s3://bucket/prefix` a bucket reached with the `S3_*` and `AWS_*` settings.
    Stores are kept per configuration, so their connections are reused."""
    from infra.storage.local import LocalStorage
    from infra.storage.s3 import S3Storage, s3_connection

    parts = urlsplit(url or "")
    if parts.scheme in ("", "file"):
        root = Path(unquote(parts.path)) if url else Path(settings.documents_dir)
        key: tuple[object, ...] = ("file", str(root))
        if key not in _stores:
            _stores[key] = LocalStorage(root)
        return _stores[key]
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError("DOCUMENTS_URL: s3://BUCKET/PREFIX needs a bucket name")
        prefix = parts.path.strip("/")
        connection = s3_connection(settings)
        key = ("s3", parts.netloc, prefix, connection.key, str(settings.documents_dir))
        if key not in _stores:
            _stores[key] = S3Storage(
                connection,
                bucket=parts.netloc,
                prefix=f"{prefix}/" if prefix else "",
                spool_dir=Path(settings.documents_dir),
            )
        return _stores[key]
    raise ValueError(f"DOCUMENTS_URL: unsupported scheme {parts.scheme!r} (file:// or s3://)")


def get_storage(settings: Settings | None = None) -> Storage:
    """The configured document store (`DOCUMENTS_URL`)."""
    if settings is None:
        from settings import get_settings

        settings = get_settings()
    return storage_for_url(settings.documents_url, settings)


async def close_storages() -> None:
    """Close the connections of every store opened in this process (at shutdown)."""
    from infra.storage.s3 import close_connections

    await close_connections()
