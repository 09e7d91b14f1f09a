"""`espace serve`: run the HTTP server with uvicorn."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve the API with uvicorn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="migrate the database and load the demo data first (idempotent)",
    )
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.demo:
        from commands.database import load_demo, migrate_database

        migrate_database()
        load_demo()
    uvicorn.run(
        "server:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    return 0
