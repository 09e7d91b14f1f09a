"""The local folder store: one file per object at `<root>/<aa>/<checksum>`.

A file appears under its final name only complete and fsynced (hard link or copy to a
temporary name, then `os.replace`), so a reader never sees half of it. Temporary files start
with `.incoming-` and are never listed as objects.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import timedelta
from pathlib import Path

from infra.storage import (
    CHUNK_SIZE,
    STAGING_PREFIX,
    MissingObject,
    ObjectInfo,
    Staged,
    check_checksum,
    is_checksum,
    spool,
)


class LocalStorage:
    """Objects as files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def url(self) -> str:
        return self.root.resolve().as_uri()

    def path(self, checksum: str) -> Path:
        check_checksum(checksum)
        return self.root / checksum[:2] / checksum

    async def stage(self, chunks: Iterable[bytes] | AsyncIterable[bytes]) -> Staged:
        # In the root itself, so that publishing is a hard link on the same file system.
        return await spool(self.root, chunks)

    def _publish(self, staged: Staged) -> None:
        target = self.path(staged.checksum)
        try:
            if target.stat().st_size == staged.size:
                return
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        try:
            try:
                os.link(staged.path, temporary)  # the staged file stays for a later publish
            except OSError:  # a file system without hard links
                shutil.copyfile(staged.path, temporary)
                with temporary.open("rb") as handle:
                    os.fsync(handle.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the new name survives a power cut
        finally:
            os.close(directory)

    async def publish(self, staged: Staged) -> None:
        await asyncio.to_thread(self._publish, staged)

    async def stat(self, checksum: str) -> ObjectInfo | None:
        path = self.path(checksum)
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            return None
        return ObjectInfo(size=size, sha256=None)

    async def read(self, checksum: str) -> AsyncIterator[bytes]:
        path = self.path(checksum)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise MissingObject(checksum) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()

    async def remove(self, checksum: str) -> None:
        await asyncio.to_thread(self.path(checksum).unlink, missing_ok=True)

    def _list(self, directory: Path) -> list[tuple[str, int]]:
        found = []
        with os.scandir(directory) as entries:
            for entry in entries:
                if is_checksum(entry.name) and entry.name[:2] == directory.name:
                    found.append((entry.name, entry.stat().st_size))
        return found

    async def checksums(self) -> AsyncIterator[tuple[str, int]]:
        if not self.root.is_dir():
            return
        directories = await asyncio.to_thread(
            lambda: sorted(p for p in self.root.iterdir() if p.is_dir() and len(p.name) == 2)
        )
        for directory in directories:
            for found in await asyncio.to_thread(self._list, directory):
                yield found

    async def presigned_url(
        self, checksum: str, *, content_disposition: str, content_type: str, lifetime: timedelta
    ) -> str | None:
        return None  # only the application serves files of the local folder
