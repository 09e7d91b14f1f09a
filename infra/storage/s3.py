"""The S3-compatible store (AWS S3, MinIO, Ceph, Scaleway, OVH...), through aiobotocore.

Objects are `<prefix><aa>/<checksum>` in one bucket. An upload is spooled and hashed on the
local disk first (`DOCUMENTS_DIR` only holds these temporary files), then sent with one PUT,
which S3 makes visible only once complete: a reader never sees half an object, and a failed
upload leaves nothing. The SHA-256 is also kept as the object's `sha256` metadata, so that
`espace documents migrate` can tell an object is already there with a HEAD.

One aiobotocore client per configuration and event loop is opened on first use and closed by
`close_connections()` (the server's shutdown, the end of a command).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from infra.storage import (
    CHUNK_SIZE,
    MissingObject,
    ObjectInfo,
    Staged,
    check_checksum,
    is_checksum,
    spool,
)

if TYPE_CHECKING:
    from settings import Settings

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _NOT_FOUND


@dataclass
class S3Connection:
    """The endpoint and credentials of an S3-compatible service, and its open client."""

    endpoint_url: str | None
    region: str | None
    access_key_id: str | None
    secret_access_key: str | None
    addressing_style: str
    _client: Any = None
    _stack: contextlib.AsyncExitStack | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[object, ...]:
        return (
            self.endpoint_url,
            self.region,
            self.access_key_id,
            self.secret_access_key,
            self.addressing_style,
        )

    async def client(self) -> Any:
        """The client of the running event loop (opened on first use)."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is loop:
            return self._client
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._client, self._stack = asyncio.Lock(), loop, None, None
        async with self._lock:
            if self._client is None:
                stack = contextlib.AsyncExitStack()
                self._client = await stack.enter_async_context(
                    get_session().create_client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        region_name=self.region,
                        aws_access_key_id=self.access_key_id,
                        aws_secret_access_key=self.secret_access_key,
                        config=AioConfig(
                            signature_version="s3v4",
                            s3={"addressing_style": self.addressing_style},
                            retries={"max_attempts": 3, "mode": "standard"},
                            connect_timeout=10,
                            read_timeout=60,
                        ),
                    )
                )
                self._stack = stack
        return self._client

    async def aclose(self) -> None:
        stack, loop = self._stack, self._loop
        self._client = self._stack = None
        if stack is not None and loop is asyncio.get_running_loop():
            await stack.aclose()


_connections: dict[tuple[object, ...], S3Connection] = {}


def s3_connection(settings: Settings) -> S3Connection:
    """The shared connection for these settings."""
    connection = S3Connection(
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=(
            settings.aws_secret_access_key.get_secret_value()
            if settings.aws_secret_access_key
            else None
        ),
        addressing_style=settings.s3_addressing_style,
    )
    return _connections.setdefault(connection.key, connection)


async def close_connections() -> None:
    for connection in list(_connections.values()):
        await connection.aclose()


class S3Storage:
    """Objects in `bucket` under `prefix` (empty or ending with `/`)."""

    def __init__(
        self, connection: S3Connection, *, bucket: str, prefix: str, spool_dir: Path
    ) -> None:
        self.connection = connection
        self.bucket = bucket
        self.prefix = prefix
        self.spool_dir = spool_dir

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, checksum: str) -> str:
        check_checksum(checksum)
        return f"{self.prefix}{checksum[:2]}/{checksum}"

    async def stage(self, chunks: Iterable[bytes] | AsyncIterable[bytes]) -> Staged:
        return await spool(self.spool_dir, chunks)

    async def publish(self, staged: Staged) -> None:
        present = await self.stat(staged.checksum)
        if present is not None and present.size == staged.size:
            return
        client = await self.connection.client()
        with staged.path.open("rb") as body:  # aiohttp reads it in chunks, off the loop
            await client.put_object(
                Bucket=self.bucket,
                Key=self.key(staged.checksum),
                Body=body,
                ContentLength=staged.size,
                ContentType="application/octet-stream",
                Metadata={"sha256": staged.checksum},
            )

    async def stat(self, checksum: str) -> ObjectInfo | None:
        client = await self.connection.client()
        try:
            head = await client.head_object(Bucket=self.bucket, Key=self.key(checksum))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return ObjectInfo(size=head["ContentLength"], sha256=head.get("Metadata", {}).get("sha256"))

    async def read(self, checksum: str) -> AsyncIterator[bytes]:
        client = await self.connection.client()
        try:
            response = await client.get_object(Bucket=self.bucket, Key=self.key(checksum))
        except ClientError as error:
            if _missing(error):
                raise MissingObject(checksum) from None
            raise
        async with response["Body"] as body:
            async for chunk in body.iter_chunks(CHUNK_SIZE):
                yield chunk

    async def remove(self, checksum: str) -> None:
        client = await self.connection.client()
        await client.delete_object(Bucket=self.bucket, Key=self.key(checksum))

    async def checksums(self) -> AsyncIterator[tuple[str, int]]:
        client = await self.connection.client()
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        async for page in pages:
            for item in page.get("Contents", []):
                directory, _, name = item["Key"][len(self.prefix) :].rpartition("/")
                if is_checksum(name) and directory == name[:2]:
                    yield name, item["Size"]

    async def presigned_url(
        self, checksum: str, *, content_disposition: str, content_type: str, lifetime: timedelta
    ) -> str | None:
        client = await self.connection.client()
        url: str = await client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self.key(checksum),
                "ResponseContentDisposition": content_disposition,
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
            ExpiresIn=int(lifetime.total_seconds()),
        )
        return url
