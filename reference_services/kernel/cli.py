"""The service command line: ``serve`` and ``migrate upgrade|downgrade <revision>``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import TYPE_CHECKING

from .config import ConfigError, ServiceConfig
from .migrations import run_migrations

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["main"]


def _package(service_name: str) -> str:
    return f"reference_services.{service_name.replace('-', '_')}"


def _parser(service_name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {_package(service_name)}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve HTTP on FLEET_SERVICE_HOST:FLEET_SERVICE_PORT")
    migrate = commands.add_parser("migrate", help="run Alembic migrations as the owner (FLEET_DATABASE_URL)")
    migrate.add_argument("action", choices=["upgrade", "downgrade"])
    migrate.add_argument("revision", help="e.g. head, base, +1, -1 or a revision id")
    return parser


def main(service_name: str, package_dir: str | Path, argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m reference_services.<pkg>``; returns the exit code.

    The service's ``app`` module (``build_app``) is imported only to serve: ``migrate`` needs the models alone, and
    the app layer (Litestar, strawberry) would double the CPU of each migration process at every fleet start.
    """
    args = _parser(service_name).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {service_name} %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "migrate":
            config = ServiceConfig.from_env(service_name, required=["FLEET_DATABASE_URL"])
            run_migrations(config, package_dir, args.action, args.revision)
            return 0
        config = ServiceConfig.from_env(service_name, required=["FLEET_SERVICE_PORT"])
        app = importlib.import_module(f"{_package(service_name)}.app").build_app(config)
    except ConfigError as error:
        print(f"{service_name}: configuration error: {error}", file=sys.stderr)
        return 2
    import uvicorn

    uvicorn.run(
        app,
        host=config.host,
        port=config.port or 0,
        lifespan="on",
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=5,
    )
    return 0
