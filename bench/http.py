"""A minimal HTTP/1.1 keep-alive client for the load: prebuilt request bytes, the response
read by Content-Length or chunks. httpx costs about a millisecond of the bench process's CPU
per request, which on a 2-core machine would slow the fastest peer most and bias the ratios."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson


def request_bytes(
    method: str, path: str, port: int, body: Any = None, token: str | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    payload = b""
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        payload = orjson.dumps(body)
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    """One keep-alive connection; `send` returns (status, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, limit=2**22
            )
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size + 2))
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.read()
        if headers.get("connection") == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def load(
    port: int,
    raw: bytes,
    total: int,
    concurrency: int,
    check: Callable[[int, bytes], None] | None = None,
    seconds: float | None = None,
) -> tuple[float, list[float]]:
    """`total` requests from `concurrency` clients (one connection each), or fewer if
    `seconds` pass first: requests per second and the latency of each."""
    latencies: list[float] = []
    remaining = total
    connections = [Connection(port) for _ in range(concurrency)]
    deadline = float("inf") if seconds is None else time.perf_counter() + seconds

    async def client(connection: Connection) -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            start = time.perf_counter()
            status, body = await connection.send(raw)
            latencies.append(time.perf_counter() - start)
            if check is not None:
                check(status, body)
            elif status != 200:
                raise RuntimeError(f"HTTP {status}: {body[:300]!r}")

    for connection in connections:  # connect before the clock starts
        await connection.send(raw)
    start = time.perf_counter()
    try:
        await asyncio.gather(*(client(c) for c in connections))
    finally:
        for connection in connections:
            await connection.close()
    return len(latencies) / (time.perf_counter() - start), latencies


async def once(port: int, raw: bytes) -> tuple[int, bytes]:
    connection = Connection(port)
    try:
        return await connection.send(raw)
    finally:
        await connection.close()


Sender = Callable[[], Awaitable[Any]]
