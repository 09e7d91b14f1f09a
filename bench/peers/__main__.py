"""`python -m bench.peers NAME PORT BENCH_DIR`: serve one peer with uvicorn (one worker)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import environment


def main() -> None:
    name, port, directory = sys.argv[1:4]
    environment.prepare(Path(directory))
    import importlib

    import uvicorn

    module = importlib.import_module(f"bench.peers.{name}")
    uvicorn.run(
        module.build(),
        host="127.0.0.1",
        port=int(port),
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
