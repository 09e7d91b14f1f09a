"""A real server for tests that need one: `espace serve` in a subprocess on a free loopback
port, on the test database (so factories can prepare rows the server then reads), stopped
with SIGTERM like a process manager would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from settings import PROJECT_DIR

STARTUP_SECONDS = 60.0
SHUTDOWN_SECONDS = 45.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    exit_code: int | None = None

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited at startup:\n{server.log()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer /healthz in time:\n{server.log()}")


def _environment(env: dict[str, str], *, keep_public_url: bool) -> dict[str, str]:
    merged = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), **env}
    if not keep_public_url:
        merged.pop("PUBLIC_URL", None)
    return merged


@contextlib.contextmanager
def live_server(
    log_dir: Path, *, workers: int = 1, derive_public_url: bool = False, **env: str
) -> Iterator[LiveServer]:
    """Serve the app; `env` overrides environment variables (DATABASE_URL, REDIS_URL...).
    `derive_public_url`: no PUBLIC_URL, the server derives it from its address.
    On leaving, SIGTERM and wait: `exit_code` tells whether it stopped cleanly."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"PUBLIC_URL": url, **env}  # the links it mails and serves point back at it
    log_path = log_dir / f"server-{port}.log"
    command = [
        sys.executable,
        "-c",
        "from commands import main; main()",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=_environment(env, keep_public_url=not derive_public_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=url, process=process, log_path=log_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            server.exit_code = process.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            server.exit_code = process.wait()
