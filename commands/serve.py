"""`espace serve`: run the HTTP server with uvicorn."""

from __future__ import annotations

import argparse
import os

# On SIGTERM, in-flight requests get this long to finish before connections are closed.
GRACEFUL_SHUTDOWN_SECONDS = 30


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve the API with uvicorn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--trusted-proxies",
        "--forwarded-allow-ips",
        dest="trusted_proxies",
        default=None,
        metavar="IPS",
        help="comma-separated IPs or CIDRs of the proxies whose X-Forwarded-For and "
        "X-Request-ID are believed (default: TRUSTED_PROXIES, else none)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="migrate the database and load the demo data first (idempotent)",
    )
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    if args.trusted_proxies is not None:  # the workers read it from the environment
        os.environ["TRUSTED_PROXIES"] = args.trusted_proxies

    if args.demo:
        from commands.database import load_demo, migrate_database

        migrate_database()
        load_demo()
    from settings import get_settings
    from web.logs import configure_logging

    get_settings.cache_clear()
    derive_public_url(args.host, args.port)
    configure_logging(get_settings().log_level)  # JSON lines from uvicorn's supervisor too
    uvicorn.run(
        "server:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,  # keep our JSON logging; each worker sets it up in app_factory
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        # Forwarded headers are the app's business (`web.proxies`, TRUSTED_PROXIES): uvicorn
        # would otherwise believe any X-Forwarded-For coming from 127.0.0.1.
        proxy_headers=False,
    )
    return 0


def derive_public_url(host: str, port: int) -> None:
    """In development, without an explicit PUBLIC_URL, mailed links point at the address
    bound (`--host`, `--port`). Set in the environment, so that every worker reads it."""
    from settings import get_settings

    settings = get_settings()
    if not settings.is_dev or "public_url" in settings.model_fields_set:
        return
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    os.environ["PUBLIC_URL"] = f"http://{shown}:{port}"
    get_settings.cache_clear()
