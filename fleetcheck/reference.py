"""The reference fleet as a target: embedded PostgreSQL and Kafka, and every reference service that exists.

Example:
    >>> with ReferenceFleet() as fleet:  # doctest: +SKIP
    ...     sorted(fleet.endpoints)
    ['auth', 'master-data', 'organization']
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.registry import CheckSettings
from fleetcheck.login import LoginFailed, TokenSource
from fleetcheck.observe import exchange, observe_client
from fleetcheck.targets import Credentials, Endpoint, missing_fault_reason

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import TracebackType

    from fleetcheck.contracts.fleet import Fleet
    from fleetcheck.fixtures._forkserver import ForkServer
    from fleetcheck.fixtures.faults import FaultHook
    from fleetcheck.fixtures.infra import Infrastructure

__all__ = ["ReferenceFleet", "package_of", "reference_module", "services_to_start", "synthetic_tenant"]


def package_of(service: str) -> str:
    """``master-data`` -> ``master_data``."""
    return service.replace("-", "_")


def reference_module(service: str) -> str | None:
    """The module that serves ``service`` (``reference_services.<pkg>``) if its package exists, else ``None``."""
    module = f"reference_services.{package_of(service)}"
    try:
        found = importlib.util.find_spec(f"{module}.__main__")
    except ModuleNotFoundError:
        return None
    return module if found is not None else None


#: started with any selection: organization makes the synthetic tenant and auth its user's token, whose JWKS every
#: other service needs to start at all
_IDENTITY = ("organization", "auth")


def services_to_start(fleet: Fleet, selected: Sequence[str]) -> list[str]:
    """The services a run of ``selected`` needs running: the selection, the identity services (organization, auth)
    and every service a started one depends on, transitively; in the fleet's start order."""
    wanted = {*selected, *(n for n in _IDENTITY if n in fleet.names())}
    wanted |= {n for name in selected for n in _scenario_services(fleet, name) if n in fleet.names()}
    todo = list(wanted)
    while todo:
        for dependency in fleet.service(todo.pop()).service_dependencies:
            if dependency not in wanted:
                wanted.add(dependency)
                todo.append(dependency)
    return [n for n in fleet.start_order() if n in wanted]


def _scenario_services(fleet: Fleet, service: str) -> set[str]:
    """The other services the service's event scenario sends requests to (audit's scenario writes to master-data)."""
    scenario = fleet.service(service).scenario
    requests = [step.request for step in scenario.steps] if scenario else []
    requests += [step.wait.request for step in scenario.steps if step.wait] if scenario else []
    return {r.service for r in requests if r is not None and r.service}


class ReferenceFleet:
    """Start embedded infrastructure and the reference services on free ports; stop everything on exit.

    Args:
        fleet: the fleet model (default: the packaged fleet file).
        services: start only these services (and nothing else); default every service with a package.
        modules: service -> module to serve it instead of its reference package (e.g. a mutant).
        settings: bounds the checks judge against.
        progress: called with one line per step (starting PostgreSQL and Kafka, starting services, ...).
        workdir: where data directories and logs go (default: a fresh temporary directory, removed on exit).
        infrastructure: PostgreSQL and Kafka already running (e.g. shared by many runs in one test session); the
            fleet uses them and leaves them running on exit. Default: start embedded ones and stop them on exit.
        fork_server: fork the services and their migration runs from one process that imported what they share
            (default where the platform can fork); ``False`` starts each as a plain ``python -m`` process. A
            running :class:`~fleetcheck.fixtures._forkserver.ForkServer` (``start_fork_server``) is used and left
            running on exit, for many fleets in one session (mutants: each fleet 2 s less of imports).
    """

    def __init__(
        self,
        *,
        fleet: Fleet | None = None,
        services: list[str] | None = None,
        modules: Mapping[str, str] | None = None,
        settings: CheckSettings | None = None,
        progress: Callable[[str], None] | None = None,
        workdir: Path | None = None,
        infrastructure: Infrastructure | None = None,
        fork_server: bool | ForkServer | None = None,
    ) -> None:
        self._fleet = fleet or load_fleet()
        self._wanted = services
        self._modules = dict(modules or {})
        self._settings = settings or CheckSettings()
        self._say = progress or (lambda _message: None)
        self._given_workdir = workdir
        self._given_infra = infrastructure
        self._fork_server = fork_server
        self._workdir: Path | None = None
        self._infra: Infrastructure | None = None
        self._running: Any = None
        self._endpoints: dict[str, Endpoint] = {}
        self._unavailable: dict[str, str] = {}
        self._credentials = Credentials(missing_reason="the reference fleet is not started")
        self._token_sources: dict[str, TokenSource | None] = {}
        self._signing_key: tuple[Path, str] | None = None
        self.startup_s = 0.0

    # ---- lifecycle ---------------------------------------------------------------------------------------------

    def __enter__(self) -> ReferenceFleet:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start infrastructure and services; on any error, stop what started and re-raise."""
        started = time.perf_counter()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        self.startup_s = time.perf_counter() - started

    def _start(self) -> None:
        from fleetcheck.fixtures._forkserver import ForkServer, fork_available
        from fleetcheck.fixtures.infra import start_infrastructure
        from fleetcheck.fixtures.launcher import FleetLauncher, start_fork_server

        self._workdir = self._given_workdir or Path(tempfile.mkdtemp(prefix="fleetcheck-"))
        self._workdir.chmod(0o755)  # the embedded PostgreSQL runs as an unprivileged user when we are root
        self._signing_key = _write_signing_key(self._workdir)
        launches = self._plan()
        given = self._fork_server if isinstance(self._fork_server, ForkServer) else None
        fork_server = given is not None or (fork_available() if self._fork_server is None else bool(self._fork_server))
        # the fork server imports (about 2 s of CPU) while PostgreSQL and Kafka start: all-ready 1.2 s sooner
        server = given or (start_fork_server(self._workdir) if fork_server and launches else None)
        try:
            if self._given_infra is not None:
                self._infra = self._given_infra
            else:
                self._say("starting PostgreSQL and Kafka")
                self._infra = start_infrastructure(self._workdir)
            launcher = FleetLauncher(
                self._workdir,
                self._infra.postgres.admin_dsn,
                self._infra.kafka.bootstrap,
                topics=[(t.name, t.partitions) for t in self._fleet.topics],
                # a shared or external server may hold other runs' databases: give this run its own names
                unique_databases=self._given_infra is not None or self._infra.postgres.faults is None,
                fork_server=fork_server,
            )
        except BaseException:
            if server is not None and server is not given:
                server.close()
            raise
        self._say(f"starting {len(launches)} service(s): {', '.join(launch.name for launch in launches)}")
        # a service whose migrations fail is a finding of the migrations area, not a broken environment
        self._running = launcher.launch(launches, keep_going=True, server=server, keep_server=given is not None)
        self._unavailable.update(self._running.failed)
        self._endpoints = {
            name: Endpoint.of(self._fleet, name, running.base_url) for name, running in self._running.services.items()
        }
        self._say("creating a synthetic tenant")
        self._credentials = self._synthetic_tenant()

    def _plan(self) -> list[Any]:
        from fleetcheck.fixtures.launcher import ServiceLaunch

        wanted = self._wanted or self._fleet.names()
        launches: list[Any] = []
        chosen: set[str] = set()
        for name in self._fleet.start_order():
            if name not in wanted:
                self._unavailable[name] = "not selected for this run"
                continue
            spec = self._fleet.service(name)
            module = self._modules.get(name) or reference_module(name)
            missing = [d for d in spec.service_dependencies if d not in chosen]
            if module is None:
                self._unavailable[name] = (
                    f"no reference implementation yet (reference_services/{package_of(name)} does not exist)"
                )
            elif missing:
                self._unavailable[name] = f"depends on {', '.join(missing)}, which is not running"
            else:
                # auth signs with a throwaway key made for this run, so the tenancy checks can forge expired and
                # other-issuer tokens that only the verifier's claim checks can refuse
                key_file = str(self._signing_key[0]) if self._signing_key else ""
                env = (("FLEET_JWT_SIGNING_KEY_FILE", key_file),) if name == "auth" and key_file else ()
                launches.append(
                    ServiceLaunch(
                        name,
                        module=module,
                        depends_on_services=spec.service_dependencies,
                        database=spec.database is not None,
                        env=env,
                    )
                )
                chosen.add(name)
        return launches

    def close(self) -> None:
        """Stop the services, then the infrastructure, then remove the temporary directory (each step in any case)."""
        try:
            if self._running is not None:
                self._running.stop()
        finally:
            self._running = None
            try:
                if self._infra is not None and self._infra is not self._given_infra:
                    self._infra.close()
            finally:
                self._infra = None
                if self._workdir is not None and self._given_workdir is None:
                    shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    # ---- the Target protocol ---------------------------------------------------------------------------------------

    @property
    def description(self) -> str:
        return "reference fleet on embedded infrastructure"

    @property
    def fleet(self) -> Fleet:
        return self._fleet

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        return dict(self._endpoints)

    @property
    def unavailable(self) -> dict[str, str]:
        return dict(self._unavailable)

    @property
    def fault_hooks(self) -> dict[str, FaultHook]:
        if self._infra is None:
            return {}
        hooks = {"postgres": self._infra.postgres.faults, "kafka": self._infra.kafka.faults}
        return {name: hook for name, hook in hooks.items() if hook is not None}

    def missing_fault_reason(self, dependency: str, mode: str) -> str:
        return missing_fault_reason(
            dependency, mode, f"the {dependency} backend in use is external and offers none (unset its variable)"
        )

    def lifecycle(self, service: str) -> None:
        return None

    def missing_lifecycle_reason(self, service: str) -> str:
        return (
            "the reference fleet's launcher offers no lifecycle hooks for its services; the boot check runs where a "
            f"target file gives services.{service}.lifecycle"
        )

    @property
    def credentials(self) -> Credentials:
        """The synthetic tenants' credentials, their tokens renewed by logging in again once they near expiry: a
        session's shared fleet outlives auth's 15-minute tokens."""
        renewed: dict[str, Any] = {n: source.token() for n, source in self._token_sources.items() if source is not None}
        return dataclasses.replace(self._credentials, **renewed) if renewed else self._credentials

    @property
    def settings(self) -> CheckSettings:
        return self._settings

    @property
    def platform_admin_token(self) -> str | None:
        return str(self._running.platform_admin_token) if self._running is not None else None

    @property
    def running(self) -> Any:
        """The launcher's running fleet (pids, log paths), or ``None`` before start."""
        return self._running

    # ---- the synthetic tenant --------------------------------------------------------------------------------------

    def _synthetic_tenant(self) -> Credentials:
        admin = self.platform_admin_token
        organization, auth = self._endpoints.get("organization"), self._endpoints.get("auth")
        if organization is None or auth is None:
            return Credentials(
                platform_admin_token=admin,
                missing_reason="the synthetic tenant needs the organization and auth services, which are not running",
            )
        tenant_id, token, fields, why = synthetic_tenant(self._fleet, organization, auth, admin or "")
        if tenant_id is None:
            return Credentials(platform_admin_token=admin, missing_reason=why)
        # a second tenant, for the isolation matrix (area tenancy)
        other_id, other_token, other_fields, _why = synthetic_tenant(self._fleet, organization, auth, admin or "")
        self._token_sources = {
            "tenant_token": _renewing(self._fleet, auth, fields, token),
            "other_tenant_token": _renewing(self._fleet, auth, other_fields, other_token),
        }
        return Credentials(
            token,
            tenant_id,
            admin,
            missing_reason=why,
            tenant_fields=tuple(sorted(fields.items())),
            other_tenant_token=other_token,
            other_tenant_id=other_id,
            signing_key=self._signing_key[1] if self._signing_key else None,
        )


def _renewing(fleet: Fleet, auth: Endpoint, fields: dict[str, str], token: str | None) -> TokenSource | None:
    """A login source for a synthetic tenant that already holds ``token`` (renewed once it nears its ``exp``)."""
    if not token or not fields:
        return None
    return TokenSource.login(fleet.auth, auth, fields, holding=token)


def synthetic_tenant(
    fleet: Fleet, organization: Endpoint, auth: Endpoint, admin_token: str
) -> tuple[str | None, str | None, dict[str, str], str]:
    """Create a tenant (organization), register a user in it and log in (auth): ``(id, token, fields, why not)``."""
    tenant_id, why = _create_tenant(organization, admin_token)
    if tenant_id is None:
        return None, None, {}, why
    email, password = f"fleetcheck-{uuid.uuid4().hex[:8]}@example.com", f"Fc-{uuid.uuid4().hex}-Aa1!"
    why = _register(auth, tenant_id, email, password)
    fields = {"tenant_id": tenant_id, "id": tenant_id, "email": email, "password": password}
    token = None
    if not why:
        try:
            token = TokenSource.login(fleet.auth, auth, fields).token()
        except LoginFailed as exc:
            why = str(exc)
    return tenant_id, token, fields, why


def _write_signing_key(workdir: Path) -> tuple[Path, str]:
    """A throwaway RS256 key for this run's auth service (mode 0600 in the run's directory, removed with it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = workdir / f"auth-signing-key-{uuid.uuid4().hex[:8]}.pem"
    path.write_bytes(pem)
    path.chmod(0o600)  # read by auth, which runs as this user
    return path, pem.decode()


def _post(endpoint: Endpoint, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    with observe_client(10.0) as client:
        answer = exchange(client, "POST", endpoint.url(path), headers=headers, json_body=body)
    data: Any = None
    with contextlib.suppress(ValueError):
        data = json.loads(answer.body) if answer.body else None
    seen = answer.error or f"{answer.status} {answer.body[:300].decode('utf-8', 'replace')}"
    return answer.status, data, seen


def _create_tenant(organization: Endpoint, admin_token: str) -> tuple[str | None, str]:
    code = f"fc-{uuid.uuid4().hex[:8]}"
    status, data, seen = _post(organization, "/tenants", {"name": f"fleetcheck {code}", "code": code}, admin_token)
    if status != 201 or not isinstance(data, dict) or "id" not in data:
        return None, f"creating the synthetic tenant at {organization.url('/tenants')} failed: {seen}"
    return str(data["id"]), ""


def _register(auth: Endpoint, tenant_id: str, email: str, password: str) -> str:
    body = {"tenant_id": tenant_id, "email": email, "password": password, "first_name": "Fleet", "last_name": "Check"}
    status, _data, seen = _post(auth, "/auth/register", body)
    return "" if status == 201 else f"registering the synthetic user at {auth.url('/auth/register')} failed: {seen}"
