"""The stored bytes of documents as a whole: publishing them with their rows, removing the
ones no row names, `espace documents verify` and `espace documents migrate`.

Objects are content-addressed, so two documents with the same bytes share one object. The
rule that keeps a committed row from naming a missing object: an object is published, and
removed, only while holding `lock_content(checksum)` in the transaction that writes (or
checks) the rows naming it. An upload publishes once before the lock (the slow part, with no
transaction open) and once more under it (a HEAD or a `stat` when nothing happened meanwhile);
a failed upload of the same bytes that removed the object in between is thus undone before
the row commits.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from infra.locks import lock_content
from infra.storage import MissingObject, Staged, Storage, digest, get_storage
from models.documents import Document

logger = logging.getLogger("espace.documents")


@asynccontextmanager
async def publishing(storage: Storage, staged: Staged) -> AsyncIterator[BaseDBAsyncClient]:
    """Publish `staged` and open the transaction in which the caller writes the rows that
    name it. If anything fails, the object is removed unless a committed row names it, and
    the error propagates; the staged file is discarded either way."""
    try:
        await storage.publish(staged)
        async with in_transaction() as connection:
            await lock_content(connection, staged.checksum)
            await storage.publish(staged)
            yield connection
    except BaseException:
        await remove_unreferenced(storage, staged.checksum)
        raise
    finally:
        staged.discard()


async def remove_unreferenced(storage: Storage, checksum: str) -> bool:
    """Remove the object `checksum` if no document names it; True if removed. A failure is
    logged, not raised: the object then stays, and `verify` lists it as orphaned."""
    try:
        async with in_transaction() as connection:
            await lock_content(connection, checksum)
            if await Document.filter(checksum=checksum).using_db(connection).exists():
                return False
            await storage.remove(checksum)
            return True
    except Exception:
        logger.exception("object %s: could not remove it; verify will list it", checksum)
        return False


# -- espace documents verify ---------------------------------------------------------------


@dataclass(frozen=True)
class StorageProblem:
    document_id: int
    checksum: str
    problem: str  # "missing" or "corrupt"


@dataclass(frozen=True)
class Orphan:
    checksum: str
    size: int


@dataclass
class VerifyReport:
    store: str
    checked: int
    problems: list[StorageProblem]
    orphans: list[Orphan] = field(default_factory=list)
    removed_orphans: int = 0


async def verify_storage(
    storage: Storage | None = None, *, remove_orphans: bool = False
) -> VerifyReport:
    """Check the object of every document against its checksum and size (missing, corrupt),
    then list the objects no document names (orphaned: a failed upload whose clean-up failed,
    or objects copied from elsewhere). `remove_orphans` removes those, each under its lock,
    so an upload of the same bytes in flight is not harmed."""
    storage = storage or get_storage()
    rows = await Document.all().order_by("id").values_list("id", "checksum", "size")
    found: dict[str, str | None] = {}
    problems: list[StorageProblem] = []
    for document_id, checksum, size in rows:
        if checksum not in found:
            try:
                info = await storage.stat(checksum)
            except ValueError:  # not even a SHA-256: cannot be stored
                info = None
            if info is None:
                found[checksum] = "missing"
            elif info.size != size or await digest(storage, checksum) != checksum:
                found[checksum] = "corrupt"
            else:
                found[checksum] = None
        if found[checksum] is not None:
            problems.append(StorageProblem(document_id, checksum, found[checksum] or ""))
    orphans = [
        Orphan(checksum, size)
        async for checksum, size in storage.checksums()
        if checksum not in found
    ]
    removed = 0
    if remove_orphans:
        for orphan in orphans:
            removed += await remove_unreferenced(storage, orphan.checksum)
    orphans.sort(key=lambda orphan: orphan.checksum)
    return VerifyReport(storage.url, len(rows), problems, orphans, removed)


# -- espace documents migrate --------------------------------------------------------------


@dataclass
class MigrateReport:
    source: str
    target: str
    copied: int = 0
    present: int = 0  # already in the target with the right size and hash
    failed: list[tuple[str, str]] = field(default_factory=list)  # (checksum, why)
    verify: VerifyReport | None = None


async def _already_there(target: Storage, checksum: str, size: int) -> bool:
    info = await target.stat(checksum)
    if info is None or info.size != size:
        return False
    if info.sha256 is not None:
        return info.sha256 == checksum
    return await digest(target, checksum) == checksum


async def migrate_storage(source: Storage, target: Storage) -> MigrateReport:
    """Copy the object of every document from `source` to `target`, then verify `target`.

    Resumable and idempotent: an object already in the target with the right size and hash
    is skipped, so running it again after an interruption (or after new uploads reached the
    source) copies only what is missing. A copy is hashed on the way and refused if it does
    not match its checksum (a corrupt source object is reported, never propagated).
    """
    report = MigrateReport(source.url, target.url)
    rows = await Document.all().distinct().values_list("checksum", "size")
    for checksum, size in sorted(set(rows)):
        try:
            if await _already_there(target, checksum, size):
                report.present += 1
                continue
            staged = await target.stage(source.read(checksum))
        except MissingObject:
            report.failed.append((checksum, "missing in the source"))
            continue
        except ValueError:
            report.failed.append((checksum, "not a SHA-256 checksum"))
            continue
        try:
            if staged.checksum != checksum or staged.size != size:
                report.failed.append((checksum, "corrupt in the source"))
                continue
            await target.publish(staged)
            report.copied += 1
        finally:
            staged.discard()
    report.verify = await verify_storage(target)
    return report
