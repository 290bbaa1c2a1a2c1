"""The bazaar fleet: three NestJS services (accounts, catalog, trail) on their own PostgreSQL, Kafka and Redis.

:func:`foreign_fleet` starts one embedded PostgreSQL (password auth), one Tansu and one ``redis-server``, creates each
service's database and roles, the topics, runs the TypeORM migrations with TypeORM's CLI, starts the three services
and signs up a synthetic tenant. Every process is a server of one :class:`ServerSet`, so each dependency and each
service can be stopped, started, frozen and thawed by a shell command (:attr:`ForeignFleet.controls`). Everything a
target file needs is data on :class:`ForeignFleet`; ``python -m tests.foreign_fleet.fleet`` prints it as JSON and
keeps the fleet up until Ctrl-C. The services must be built first (``scripts/test`` runs ``npm ci`` and the build).

Example:
    >>> with foreign_fleet(Path("/tmp/bazaar")) as fleet:  # doctest: +SKIP
    ...     fleet.services["catalog"].base_url
    'http://127.0.0.1:41234'
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
from psycopg import sql

from fleetcheck.fixtures._process import LOOPBACK, free_port
from tests.support.infra import RunningPostgres, start_postgres, start_redis, start_tansu
from tests.support.servers import ControlError, Probe, ServerSet, ServerSpec

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "FLEET_DIR",
    "MUTANTS_DIR",
    "SERVICES",
    "TOPICS",
    "ForeignFleet",
    "MigrationCommand",
    "Service",
    "SyntheticTenant",
    "foreign_fleet",
    "npm_build_missing",
]

FLEET_DIR = Path(__file__).resolve().parent
MUTANTS_DIR = FLEET_DIR / "mutants"
SERVICES = ("accounts", "catalog", "trail")
#: topic -> partitions; the producing service is the topic's first segment.
TOPICS: dict[str, int] = {
    "accounts.user.signed-up": 3,
    "accounts.user.signed-in": 3,
    "catalog.product.created": 3,
    "catalog.product.updated": 3,
    "catalog.product.deleted": 3,
}
_USES_REDIS = {"catalog"}
_TOKEN_FRESH_S = 200.0  # bazaar's access tokens expire after 300 s
_BOOT_TIMEOUT_S = 60.0  # a NestJS boot is ~1-2 s; the first TypeORM connection retries while PostgreSQL settles
_MIGRATION_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class MigrationCommand:
    """One TypeORM CLI call: ``argv`` run in ``cwd`` with ``env`` added (the owner's DSN and ``DB_APP_ROLE``)."""

    argv: list[str]
    cwd: str
    env: dict[str, str]

    @property
    def shell(self) -> str:
        assignments = " ".join(f"{key}={shlex.quote(value)}" for key, value in self.env.items())
        return f"cd {shlex.quote(self.cwd)} && {assignments} {shlex.join(self.argv)}"

    def run(self, *, timeout: float = _MIGRATION_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
        """Run it; raise RuntimeError with the command and its output if it fails."""
        done = subprocess.run(
            self.argv, cwd=self.cwd, env={**os.environ, **self.env}, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{self.shell} exited with code {done.returncode}:\n{done.stdout}{done.stderr}")
        return done


@dataclass(frozen=True, slots=True)
class Service:
    """One bazaar service as a target file describes it."""

    name: str
    base_url: str
    port: int
    database: str
    schema: str
    owner_dsn: str
    runtime_dsn: str
    readonly_dsn: str
    runtime_role: str
    migrate_up: MigrationCommand
    migrate_down: MigrationCommand
    #: action ("start", "stop", "freeze", "thaw", "status") -> shell command
    controls: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SyntheticTenant:
    """A tenant with one user signed up, and a token pair from its sign-in.

    bazaar's access tokens live 300 s, shorter than a session of the tests: :attr:`access_token` signs in again once
    the one it holds is older than :data:`_TOKEN_FRESH_S`.
    """

    tenant_id: str
    user_id: str
    username: str
    password: str
    accounts_url: str
    tokens: dict[str, str]
    signed_in_at: float = field(default_factory=time.monotonic)

    @property
    def access_token(self) -> str:
        if time.monotonic() - self.signed_in_at > _TOKEN_FRESH_S:
            self.tokens, self.signed_in_at = _sign_in(self.accounts_url, self), time.monotonic()
        return self.tokens["accessToken"]

    @property
    def refresh_token(self) -> str:
        return self.tokens["refreshToken"]

    def sign_up(self) -> None:
        """Sign this tenant's user up (again, after a test dropped the accounts schema) and sign in."""
        body = {"username": self.username, "password": self.password, "tenant": self.tenant_id,
                "displayName": "Synthetic User"}  # fmt: skip
        signed_up = httpx.post(f"{self.accounts_url}/api/auth/sign-up", json=body, timeout=10.0)
        if signed_up.status_code != 201:
            raise ControlError(f"accounts POST /api/auth/sign-up answered {signed_up.status_code}: {signed_up.text}")
        self.user_id = signed_up.json()["id"]
        self.tokens, self.signed_in_at = _sign_in(self.accounts_url, self), time.monotonic()


@dataclass(slots=True)
class ForeignFleet:
    """The running bazaar fleet and everything a target file needs to describe it."""

    servers: ServerSet
    services: dict[str, Service]
    kafka_bootstrap: str
    redis_url: str
    postgres: RunningPostgres
    jwt_secret: str
    tenant: SyntheticTenant
    #: dependency ("postgres", "kafka", "redis") -> action -> shell command
    controls: dict[str, dict[str, str]]
    _specs: dict[str, ServerSpec] = field(default_factory=dict)

    def url(self, service: str, path: str) -> str:
        return self.services[service].base_url + path

    def sign_in(self, tenant_id: str, username: str, password: str) -> dict[str, Any]:
        response = httpx.post(
            self.url("accounts", "/api/auth/sign-in"),
            json={"username": username, "password": password, "tenant": tenant_id}, timeout=10.0,
        )  # fmt: skip
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def new_tenant(self, username: str = "synthetic") -> SyntheticTenant:
        """Sign up ``username`` in a fresh tenant and sign in (the fixture's own synthetic tenant is one)."""
        return _sign_up(self.services["accounts"].base_url, username)

    @contextlib.contextmanager
    def mutant(self, service: str, mutant: str | Path) -> Iterator[Service]:
        """Run ``service`` with ``node -r <mutant>`` on its port; the unmutated service is back afterwards."""
        path = Path(mutant) if Path(mutant).is_absolute() else MUTANTS_DIR / mutant
        if not path.is_file():
            raise FileNotFoundError(f"mutant {path} does not exist; mutants live in {MUTANTS_DIR}")
        normal = self._specs[service]
        self.servers.stop(service)
        mutated = _with_preload(normal, path)
        try:
            self.servers.start(mutated)
            yield self.services[service]
        except BaseException as exc:
            # restoring may fail too (e.g. a dependency the test broke is still down): keep the first error visible
            try:
                self._restore(service, normal)
            except Exception as restore_error:
                exc.add_note(f"and restoring the unmutated {service} failed too:\n{restore_error}")
            raise
        else:
            self._restore(service, normal)

    def _restore(self, service: str, normal: ServerSpec) -> None:
        self.servers.stop(service)
        self.servers.start(normal)

    def grant_readonly(self, service: str) -> None:
        """Grant the read-only role its SELECTs again (a migration re-run creates new tables without them)."""
        _grant_readonly(self.postgres, service)

    def describe(self) -> dict[str, Any]:
        """Everything above as JSON-ready data (what ``python -m tests.foreign_fleet.fleet`` prints)."""
        services = {}
        for name, service in self.services.items():
            data = asdict(service)
            data["migrate_up"]["shell"] = service.migrate_up.shell
            data["migrate_down"]["shell"] = service.migrate_down.shell
            services[name] = data
        return {
            "services": services, "kafka_bootstrap": self.kafka_bootstrap, "redis_url": self.redis_url,
            "postgres_admin_dsn": self.postgres.dsn("postgres"), "jwt_secret": self.jwt_secret,
            "tenant": asdict(self.tenant), "controls": self.controls, "state_dir": str(self.servers.state_dir),
        }  # fmt: skip


def npm_build_missing() -> str | None:
    """Why the services cannot start (no node_modules or no build), or None."""
    if not (FLEET_DIR / "node_modules" / "typeorm" / "cli.js").is_file():
        return f"{FLEET_DIR}/node_modules is missing: run `npm ci` there (scripts/test does)"
    if not all((FLEET_DIR / "dist" / name / "main.js").is_file() for name in SERVICES):
        return f"{FLEET_DIR}/dist is missing: run `npm run build` there (scripts/test does)"
    return None


@contextlib.contextmanager
def foreign_fleet(workdir: Path) -> Iterator[ForeignFleet]:
    """Start the bazaar fleet under ``workdir``; stop every process it started (or the CLI restarted) on exit."""
    if reason := npm_build_missing():
        raise RuntimeError(reason)
    servers = ServerSet(workdir / "state")
    try:
        yield _start(servers, workdir)
    finally:
        servers.close()


def _start(servers: ServerSet, workdir: Path) -> ForeignFleet:
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="bazaar-infra") as pool:
        pg_future = pool.submit(start_postgres, servers, workdir, password_auth=True)
        kafka_future = pool.submit(start_tansu, servers, workdir, TOPICS.items())
        redis_future = pool.submit(start_redis, servers, workdir)
        postgres, kafka, redis_url = pg_future.result(), kafka_future.result(), redis_future.result()
    jwt_secret = secrets.token_hex(32)  # throwaway, per run
    passwords = {f"{svc}_{kind}": secrets.token_urlsafe(18) for svc in SERVICES for kind in ("owner", "app", "ro")}
    _create_databases(postgres, passwords)
    specs: dict[str, ServerSpec] = {}
    services: dict[str, Service] = {}
    for name in SERVICES:
        service, spec = _service(servers, postgres, passwords, name, kafka, redis_url, jwt_secret, workdir)
        services[name], specs[name] = service, spec
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="bazaar-migrate") as pool:
        list(pool.map(lambda service: service.migrate_up.run(), services.values()))
    for name in SERVICES:
        _grant_readonly(postgres, name)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="bazaar-boot") as pool:
        list(pool.map(servers.start, specs.values()))
    tenant = _sign_up(services["accounts"].base_url, "synthetic")
    controls = {dep: {action: servers.command(dep, action) for action in ("stop", "start", "freeze", "thaw", "status")}
                for dep in ("postgres", "kafka", "redis")}  # fmt: skip
    return ForeignFleet(servers, services, kafka, redis_url, postgres, jwt_secret, tenant, controls, specs)


def _create_databases(postgres: RunningPostgres, passwords: dict[str, str]) -> None:
    with psycopg.connect(postgres.dsn("postgres"), autocommit=True) as conn:
        for svc in SERVICES:
            owner, app, ro = (sql.Identifier(f"{svc}_{kind}") for kind in ("owner", "app", "ro"))
            for role in ("owner", "app", "ro"):
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                        sql.Identifier(f"{svc}_{role}"), sql.Literal(passwords[f"{svc}_{role}"])
                    )
                )
            database = sql.Identifier(f"bazaar_{svc}")
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, owner))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(database, app, ro))


def _grant_readonly(postgres: RunningPostgres, svc: str) -> None:
    """The read-only role may read the service's schema (RLS still applies to it) and TypeORM's bookkeeping."""
    ro, owner = sql.Identifier(f"{svc}_ro"), sql.Identifier(f"{svc}_owner")
    with psycopg.connect(postgres.dsn(f"bazaar_{svc}"), autocommit=True) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(owner))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(svc), ro))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sql.Identifier(svc), ro))
        conn.execute(sql.SQL("GRANT SELECT ON public.migrations TO {}").format(ro))


def _service(
    servers: ServerSet, postgres: RunningPostgres, passwords: dict[str, str], name: str, kafka: str,
    redis_url: str, jwt_secret: str, workdir: Path,
) -> tuple[Service, ServerSpec]:  # fmt: skip
    database = f"bazaar_{name}"
    dsn = {
        kind: postgres.dsn(database, f"{name}_{kind}", passwords[f"{name}_{kind}"]) for kind in ("owner", "app", "ro")
    }
    migration_env = {"DATABASE_URL": dsn["owner"], "DB_APP_ROLE": f"{name}_app"}
    cli = ["node", "node_modules/typeorm/cli.js"]
    source = ["-d", f"dist/{name}/data-source.js"]
    port = free_port()
    env = {
        "HOST": LOOPBACK, "PORT": str(port), "SERVICE_NAME": name, "DATABASE_URL": dsn["app"],
        "KAFKA_BROKERS": kafka, "JWT_SECRET": jwt_secret, "NODE_ENV": "production",
        "KAFKA_IDEMPOTENT": "false",  # Tansu answers kafkajs' InitProducerId (v1) with UNKNOWN_SERVER_ERROR
        **({"REDIS_URL": redis_url} if name in _USES_REDIS else {}),
    }  # fmt: skip
    spec = ServerSpec(
        name, ["node", f"dist/{name}/main.js"], port, workdir / "services" / f"{name}.log",
        probe=Probe("http", path="/api/health/readiness", status=200), env=env, cwd=FLEET_DIR,
        ready_timeout_s=_BOOT_TIMEOUT_S, grace_s=10.0,
    )  # fmt: skip
    service = Service(
        name=name, base_url=f"http://{LOOPBACK}:{port}", port=port, database=database, schema=name,
        owner_dsn=dsn["owner"], runtime_dsn=dsn["app"], readonly_dsn=dsn["ro"], runtime_role=f"{name}_app",
        migrate_up=MigrationCommand([*cli, "migration:run", *source], str(FLEET_DIR), migration_env),
        migrate_down=MigrationCommand([*cli, "migration:revert", *source], str(FLEET_DIR), migration_env),
        controls={action: servers.command(name, action) for action in ("start", "stop", "freeze", "thaw", "status")},
    )  # fmt: skip
    return service, spec


def _with_preload(spec: ServerSpec, mutant: Path) -> ServerSpec:
    command = [spec.command[0], "-r", str(mutant), *spec.command[1:]]
    return ServerSpec(
        spec.name, command, spec.port, spec.log_path, probe=spec.probe, env=spec.env, cwd=spec.cwd,
        stop_signal=spec.stop_signal, grace_s=spec.grace_s, ready_timeout_s=spec.ready_timeout_s,
    )  # fmt: skip


def _sign_up(accounts_url: str, username: str) -> SyntheticTenant:
    tenant = SyntheticTenant(str(uuid.uuid4()), "", username, secrets.token_urlsafe(16), accounts_url, {})
    tenant.sign_up()
    return tenant


def _sign_in(accounts_url: str, tenant: SyntheticTenant) -> dict[str, str]:
    credentials = {"username": tenant.username, "password": tenant.password, "tenant": tenant.tenant_id}
    signed_in = httpx.post(f"{accounts_url}/api/auth/sign-in", json=credentials, timeout=10.0)
    if signed_in.status_code != 201:
        raise ControlError(f"accounts POST /api/auth/sign-in answered {signed_in.status_code}: {signed_in.text}")
    tokens: dict[str, str] = signed_in.json()
    return tokens


def main() -> None:
    """Start the fleet, print :meth:`ForeignFleet.describe` as JSON, keep it up until Ctrl-C."""
    with tempfile.TemporaryDirectory(prefix="bazaar-") as tmp, foreign_fleet(Path(tmp)) as fleet:
        print(json.dumps(fleet.describe(), indent=2), flush=True)
        print("bazaar fleet is up; Ctrl-C stops it", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                signal.pause()


if __name__ == "__main__":
    main()
