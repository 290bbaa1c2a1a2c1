"""The ``fleetcheck`` command: ``verify`` a fleet, run the reference fleet (``up``), ``init`` a fleet file from
running services, list the ``checks``, render a saved ``report`` as HTML, ``probe`` a fleet (once or on a schedule,
serving ``/metrics``) and write its ``prometheus-config``, ``pact
verify|publish|record-deployment|record-release|can-i-deploy`` (consumer pacts, from files or a Pact Broker).

Exit codes: 0 every check passed (or was not run), 1 a check failed, 2 a mistake in the command line, target file or
fleet file (the message names the allowed values), 3 the environment did not start (a server, with its log tail).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from fleetcheck.contracts.fleet import FleetFileError, load_fleet

if TYPE_CHECKING:
    from collections.abc import Callable

    from fleetcheck.contracts.fleet import Fleet
    from fleetcheck.contracts.observability import ObservabilityFiles
    from fleetcheck.runner import PhaseTime
    from fleetcheck.targets import Target

__all__ = ["EXIT_ENVIRONMENT", "EXIT_FAILED", "EXIT_USAGE", "app"]

EXIT_FAILED, EXIT_USAGE, EXIT_ENVIRONMENT = 1, 2, 3

app = typer.Typer(
    name="fleetcheck",
    help="Contract checks for a fleet of microservices: against the reference fleet, or a deployed one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _quiet() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _out() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 120  # logs of CI jobs are wider than rich's 80-column default
    return console


def _fail(code: int, message: str) -> NoReturn:
    Console(stderr=True, highlight=False).print(message, markup=False, soft_wrap=True)
    raise typer.Exit(code)


class _Progress:
    """A rich status line for each phase; silent under ``CI=true``."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._status: Any = None

    def __enter__(self) -> _Progress:
        if not _quiet():
            self._status = self._console.status("starting")
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)

    def __call__(self, message: str) -> None:
        if self._status is None:
            return
        self._status.update(message)
        self._console.print(f"· {message}", style="dim", markup=False)


def _environment_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean a part of the environment did not start; shown as their message, exit 3."""
    from fleetcheck.fixtures._process import BackendStartError, BackendUnreachableError

    errors: list[type[BaseException]] = [BackendStartError, BackendUnreachableError]
    try:
        from fleetcheck.fixtures import launcher
    except ImportError:
        return tuple(errors)
    own = [obj for obj in vars(launcher).values() if isinstance(obj, type) and obj.__module__ == launcher.__name__]
    errors.extend(obj for obj in own if issubclass(obj, Exception))
    return tuple(errors)


def _load_fleet_or_exit(fleet_file: Path | None) -> Fleet:
    try:
        return load_fleet(fleet_file)
    except FleetFileError as exc:
        _fail(EXIT_USAGE, str(exc))


def _open_target(
    target_file: Path | None,
    fleet: Fleet,
    fleet_file: Path | None,
    services: list[str],
    progress: Callable[[str], None],
    fork_server: bool | None = None,
) -> AbstractContextManager[Target]:
    from fleetcheck.targets import TargetFile, TargetFileError

    if target_file is None:
        from fleetcheck.reference import ReferenceFleet, services_to_start

        started = services_to_start(fleet, services) if services else None  # judged: only `services` (the runner)
        return ReferenceFleet(fleet=fleet, services=started, progress=progress, fork_server=fork_server)
    try:
        return nullcontext(TargetFile.load(target_file, fleet_file=fleet_file))
    except (TargetFileError, FleetFileError) as exc:
        _fail(EXIT_USAGE, str(exc))


def _observability_files(dashboards: Path | None, alerts: list[Path] | None) -> ObservabilityFiles | None:
    """``--dashboards`` and ``--alerts``, read once so a broken file is a usage error before anything starts; without
    either, ``None`` (the target file's, or the shipped ones on the reference fleet)."""
    if dashboards is None and not alerts:
        return None
    from fleetcheck.contracts.observability import ObservabilityFiles
    from fleetcheck.observability import ObservabilityFileError, check_files

    files = ObservabilityFiles(dashboards, tuple(alerts or ()))
    try:
        check_files(files)
    except ObservabilityFileError as exc:
        _fail(EXIT_USAGE, str(exc))
    return files


class _PhaseClock:
    """Wall and CPU seconds between laps: the fleet's start and stop around a run, for ``verify --profile``."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, phase: str) -> PhaseTime:
        from fleetcheck.runner import PhaseTime

        wall, cpu = time.perf_counter(), time.process_time()
        lap = PhaseTime(phase, wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu
        return lap


_NO_FORK_SERVER_HELP = "Start each reference service as a plain `python -m` process, not forked from a fork server."


@app.command()
def verify(
    target: Annotated[Path | None, typer.Option("--target", help="A target file (default: reference fleet).")] = None,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="A fleet file (default: packaged).")] = None,
    area: Annotated[list[str] | None, typer.Option("--area", help="Only this area (repeatable).")] = None,
    service: Annotated[list[str] | None, typer.Option("--service", help="Only this service (repeatable).")] = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="Only this check id (repeatable).")] = None,
    junit_xml: Annotated[Path | None, typer.Option("--junit-xml", help="Write JUnit XML here.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    report_dir: Annotated[Path, typer.Option("--report-dir", help="Default place for the reports.")] = Path("reports"),
    schema_baseline: Annotated[
        Path | None,
        typer.Option(
            "--schema-baseline",
            help="A directory of an earlier release's payload schemas (<topic>.json) for EVENTS-SCHEMA-EVOLUTION.",
        ),
    ] = None,
    dashboards: Annotated[
        Path | None,
        typer.Option("--dashboards", help="A folder of Grafana dashboards (JSON) for area observability."),
    ] = None,
    alerts: Annotated[
        list[Path] | None,
        typer.Option("--alerts", help="A Prometheus rule file for area observability (repeatable)."),
    ] = None,
    baseline_file: Annotated[
        Path | None,
        typer.Option("--baseline", help="Known findings (with reasons) that do not fail the run; new ones do."),
    ] = None,
    write_baseline_file: Annotated[
        Path | None, typer.Option("--write-baseline", help="Write this run's findings as a baseline file.")
    ] = None,
    baseline_reason: Annotated[
        str, typer.Option("--baseline-reason", help="The reason written for every entry of --write-baseline.")
    ] = "",
    no_fork_server: Annotated[bool, typer.Option("--no-fork-server", help=_NO_FORK_SERVER_HELP)] = False,
    profile: Annotated[
        bool,
        typer.Option("--profile", help="Print where the run's time went, phase by phase (also in the JSON report)."),
    ] = False,
) -> None:
    """Verify a fleet against the contract, print the scorecard, write JUnit XML, JSON and HTML reports."""
    from fleetcheck.baseline import Baseline, BaselineError, apply_baseline, write_baseline
    from fleetcheck.events import SchemaBaselineError, load_schema_baseline
    from fleetcheck.report import render_text, write_reports
    from fleetcheck.runner import UnknownSelectionError, select
    from fleetcheck.runner import verify as run_verify

    fleet = _load_fleet_or_exit(fleet_file)
    files = _observability_files(dashboards, alerts)
    try:
        baseline = load_schema_baseline(schema_baseline) if schema_baseline else None
        known = Baseline.load(baseline_file) if baseline_file else None
    except (SchemaBaselineError, BaselineError) as exc:
        _fail(EXIT_USAGE, str(exc))
    areas, services = area or [], service or []
    console = _out()
    if target is None:  # names are checked before anything starts; a target file is checked against its own fleet
        try:
            select(fleet, areas, services)
        except UnknownSelectionError as exc:
            _fail(EXIT_USAGE, str(exc))
    with _Progress(console) as progress:
        try:
            fork_server = False if no_fork_server else None
            clock = _PhaseClock()
            started = [*services, *_pact_cause_services(areas, services)]  # judged: `services` only
            with _open_target(target, fleet, fleet_file, started, progress, fork_server) as opened:
                start = clock.lap("start")
                report = run_verify(opened, areas=areas or None, services=services or None, checks=check,
                                    progress=progress, schema_baseline=baseline, observability=files)  # fmt: skip
                clock.lap("verify")
            report = replace(report, phases=(start, *report.phases, clock.lap("stop")))
        except UnknownSelectionError as exc:
            _fail(EXIT_USAGE, str(exc))
        except _environment_errors() as exc:
            _fail(EXIT_ENVIRONMENT, str(exc))
    if known is not None:
        report, _outcome = apply_baseline(report, known)
    console.print(render_text(report, width=console.width), markup=False, highlight=False, end="")
    if profile:
        from fleetcheck.report import profile_table

        console.print(profile_table(report))
    if write_baseline_file is not None:
        count = write_baseline(write_baseline_file, report.results, baseline_reason)
        todo = "" if baseline_reason else "; give each entry its reason before using it with --baseline"
        console.print(f"baseline: {count} finding(s) written to {write_baseline_file}{todo}", markup=False)
    written = write_reports(
        report,
        junit_xml=junit_xml or report_dir / "junit.xml",
        json_path=json_path or report_dir / "fleetcheck.json",
        html_path=html_path or report_dir / "fleetcheck.html",
    )
    console.print("reports: " + ", ".join(str(p) for p in written), style="dim", markup=False)
    raise typer.Exit(EXIT_FAILED if report.failed else 0)


@app.command()
def stability(
    target: Annotated[Path | None, typer.Option("--target", help="A target file (default: reference fleet).")] = None,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="A fleet file (default: packaged).")] = None,
    area: Annotated[list[str] | None, typer.Option("--area", help="Only this area (repeatable).")] = None,
    service: Annotated[list[str] | None, typer.Option("--service", help="Only this service (repeatable).")] = None,
    runs: Annotated[int, typer.Option("--runs", min=2, help="Verifications per area to compare.")] = 5,
) -> None:
    """Verify each area alone several times on one running fleet and report every verdict that changed."""
    from fleetcheck.runner import UnknownSelectionError, select
    from fleetcheck.stability import measure

    fleet = _load_fleet_or_exit(fleet_file)
    areas, services = area or [], service or []
    console = _out()
    if target is None:
        try:
            select(fleet, areas, services)
        except UnknownSelectionError as exc:
            _fail(EXIT_USAGE, str(exc))
    with _Progress(console) as progress:
        try:
            with _open_target(target, fleet, fleet_file, services, progress) as opened:
                session = measure(opened, runs=runs, areas=areas or None, services=services or None,
                                  progress=progress)  # fmt: skip
        except UnknownSelectionError as exc:
            _fail(EXIT_USAGE, str(exc))
        except _environment_errors() as exc:
            _fail(EXIT_ENVIRONMENT, str(exc))
    table = Table(title=f"stability: {runs} runs per area")
    for column in ("area", "verdicts per run", "flipped", "seconds per run (min-max)"):
        table.add_column(column)
    flips = session.flaky
    for name, reports in session.reports.items():
        seconds = session.seconds[name]
        flipped = sum(1 for f in flips if f.area == name)
        table.add_row(name, str(len(reports[0].results)), str(flipped), f"{min(seconds):.1f}-{max(seconds):.1f}")
    console.print(table)
    for flip in flips:
        console.print(f"✗ {flip.check_id} [{flip.service}] ({flip.area}): {' / '.join(flip.outcomes)}", markup=False)
        for why in flip.why:
            console.print(f"    {why}", markup=False)
    verdicts = session.verdicts()
    console.print(f"{len(flips)} of {verdicts} verdicts changed between runs", markup=False)
    raise typer.Exit(EXIT_FAILED if flips else 0)


@app.command()
def report(
    json_path: Annotated[Path, typer.Option("--json", help="A JSON report that fleetcheck verify wrote.")],
    html_path: Annotated[Path, typer.Option("--html", help="Write the HTML report here.")],
) -> None:
    """Render a saved JSON report as the HTML report, the same page fleetcheck verify writes."""
    from fleetcheck.report import report_from_json, write_reports

    try:
        saved = report_from_json(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # unreadable, not JSON, or not a fleetcheck report
        why = f"{json_path} is not a readable fleetcheck JSON report ({type(exc).__name__}: {exc})"
        _fail(EXIT_USAGE, f"{why}; fleetcheck verify writes one (--json FILE, by default reports/fleetcheck.json)")
    write_reports(saved, html_path=html_path)
    _out().print(f"report: {html_path}", style="dim", markup=False)


@app.command()
def up(
    service: Annotated[list[str] | None, typer.Option("--service", help="Only this service (repeatable).")] = None,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="A fleet file (default: packaged).")] = None,
    no_fork_server: Annotated[bool, typer.Option("--no-fork-server", help=_NO_FORK_SERVER_HELP)] = False,
) -> None:
    """Run the reference fleet on embedded infrastructure until Ctrl-C; print each service's URL."""
    from fleetcheck.reference import ReferenceFleet
    from fleetcheck.runner import UnknownSelectionError, select

    fleet = _load_fleet_or_exit(fleet_file)
    try:
        select(fleet, None, service or None)
    except UnknownSelectionError as exc:
        _fail(EXIT_USAGE, str(exc))
    console = _out()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with _Progress(console) as progress:
            try:
                running = ReferenceFleet(fleet=fleet, services=service or None, progress=progress,
                                         fork_server=False if no_fork_server else None)  # fmt: skip
                running.start()
            except _environment_errors() as exc:
                _fail(EXIT_ENVIRONMENT, str(exc))
        try:
            _print_fleet(console, running)
            _wait(stop)
        finally:
            console.print("stopping the fleet", style="dim")
            running.close()
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command()
def load(
    target: Annotated[Path | None, typer.Option("--target", help="A target file (default: reference fleet).")] = None,
    users: Annotated[int, typer.Option("--users", "-u", min=1, help="Simulated users, one tenant each.")] = 20,
    run_time: Annotated[str, typer.Option("--run-time", "-t", help="How long, e.g. 60s or 5m.")] = "30s",
    thresholds: Annotated[Path, typer.Option("--thresholds", help="The thresholds YAML.")] = Path(
        "load/thresholds.yaml"
    ),
    report_dir: Annotated[Path, typer.Option("--report-dir", help="locust's CSV and HTML reports.")] = Path(
        "reports/load"
    ),
    tenants: Annotated[int | None, typer.Option("--tenants", help="Tenants in the pool (default: users).")] = None,
    processes: Annotated[int | None, typer.Option("--processes", help="locust worker processes.")] = None,
) -> None:
    """Run the tenancy load scenario headless with locust; the thresholds file sets the exit code."""
    from fleetcheck.loadrun import Thresholds, ThresholdsError, run_load

    if not run_time[:-1].replace(".", "").isdigit() or run_time[-1] not in "smh":
        _fail(EXIT_USAGE, f"--run-time {run_time!r}: expected a number and a unit, e.g. 60s, 5m or 1h")
    try:
        limits = Thresholds.load(thresholds)
    except ThresholdsError as exc:
        _fail(EXIT_USAGE, str(exc))
    fleet = _load_fleet_or_exit(None)
    console = _out()
    extra = ["--processes", str(processes)] if processes else []
    with _Progress(console) as progress:
        try:
            opened = _open_target(target, fleet, None, [], progress)
            running = opened.__enter__()
        except _environment_errors() as exc:
            _fail(EXIT_ENVIRONMENT, str(exc))
    try:
        console.print(f"locust: {users} users, {run_time}, reports in {report_dir}")
        result = run_load(running, report_dir, users=users, run_time=run_time, thresholds=limits, tenants=tenants,
                          locust_args=extra)  # fmt: skip
    finally:
        opened.__exit__(None, None, None)
    _print_load(console, result)
    raise typer.Exit(result.exit_code)


def _print_load(console: Console, result: Any) -> None:
    table = Table(title="fleetcheck load")
    for column in ("operation", "requests", "failures", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column)
    for row in result.operations:
        table.add_row(row["Name"], row["Request Count"], row["Failure Count"], row["50%"], row["95%"], row["99%"])
    console.print(table)
    console.print(
        f"{result.requests} requests ({result.requests_per_s:.0f}/s), {result.failures} failed, "
        f"{len(result.violations)} isolation violation(s), {result.lost_events} lost and "
        f"{result.duplicated_events} duplicated event(s)"
    )
    for violation in result.violations[:10]:
        console.print(f"violation: {violation}", style="red")
    for broken in result.broken:
        console.print(f"threshold broken: {broken}", style="red")


def _wait(stop: threading.Event) -> None:
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        return


def _print_fleet(console: Console, running: Any) -> None:
    table = Table(title=f"reference fleet up in {running.startup_s:.1f} s (Ctrl-C to stop)")
    table.add_column("service")
    table.add_column("URL")
    for name, endpoint in running.endpoints.items():
        table.add_row(name, endpoint.base_url)
    for name, reason in running.unavailable.items():
        table.add_row(name, f"not running: {reason}")
    console.print(table)
    credentials = running.credentials
    if credentials.tenant_token:
        console.print(f"synthetic tenant {credentials.tenant_id}; bearer: {credentials.tenant_token}", markup=False)
    if running.platform_admin_token:
        console.print(f"platform-admin bearer: {running.platform_admin_token}", markup=False)


@app.command()
def probe(
    once: Annotated[bool, typer.Option("--once", help="One cycle: JSON lines out, exit code = result.")] = False,
    listen: Annotated[
        str | None, typer.Option("--listen", help="Run until stopped, serving /metrics and /probe on HOST:PORT.")
    ] = None,
    target: Annotated[Path | None, typer.Option("--target", help="A target file (default: reference fleet).")] = None,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="A fleet file (default: packaged).")] = None,
    probes_file: Annotated[
        Path | None, typer.Option("--probes", help="A probe file (default: health, readiness, metrics-lint).")
    ] = None,
    service: Annotated[list[str] | None, typer.Option("--service", help="Only this service (repeatable).")] = None,
    push: Annotated[
        str | None, typer.Option("--push", help="With --once: push the results to this Pushgateway URL.")
    ] = None,
    push_job: Annotated[str, typer.Option("--push-job", help="The Pushgateway job the results go under.")] = (
        "fleetcheck_probe"
    ),
) -> None:
    """Run the catalogue's read-only checks as probes: once (for cron), or on their intervals with a /metrics."""
    from fleetcheck.probe_exporter import parse_listen
    from fleetcheck.probes import ProbeFileError, default_probe_file, load_probe_file
    from fleetcheck.runner import UnknownSelectionError, select

    if once == (listen is not None):
        _fail(EXIT_USAGE, "fleetcheck probe: give exactly one of --once or --listen HOST:PORT")
    if push is not None and not once:
        _fail(EXIT_USAGE, "--push goes with --once (a --listen prober is scraped; it pushes nothing)")
    if push is not None and not push.startswith(("http://", "https://")):
        _fail(EXIT_USAGE, f"--push {push!r}: expected the Pushgateway's URL, e.g. http://127.0.0.1:9091")
    try:
        address = parse_listen(listen) if listen is not None else None
        spec = load_probe_file(probes_file) if probes_file else default_probe_file()
    except (ValueError, ProbeFileError) as exc:
        _fail(EXIT_USAGE, str(exc))
    fleet = _load_fleet_or_exit(fleet_file)
    services = service or []
    if target is None:
        try:
            select(fleet, None, services)
        except UnknownSelectionError as exc:
            _fail(EXIT_USAGE, str(exc))
    console = Console(stderr=True, highlight=False)
    with _Progress(console) as progress:
        try:
            opened = _open_target(target, fleet, fleet_file, services, progress)
            running = opened.__enter__()
        except _environment_errors() as exc:
            _fail(EXIT_ENVIRONMENT, str(exc))
    try:
        unknown = [s for s in services if s not in running.fleet.names()]
        if unknown:
            _fail(
                EXIT_USAGE,
                f"unknown service {', '.join(unknown)}; the fleet declares: {', '.join(running.fleet.names())}",
            )
        if address is None:
            code = _probe_once(running, spec, services, (push, push_job) if push else None)
        else:
            code = _probe_listen(running, spec, services, address, console)
    finally:
        opened.__exit__(None, None, None)
    raise typer.Exit(code)


def _probe_once(running: Target, spec: Any, services: list[str], push: tuple[str, str] | None) -> int:
    import json
    import sys

    from fleetcheck.probe_exporter import PushFailed, push_results
    from fleetcheck.probes import ProbeRunner, results_exit_code

    with ProbeRunner(running, spec) as runner:
        results = runner.cycle(services or None)
    for result in results:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if push is not None:
        try:
            push_results(results, push[0], job=push[1])
        except PushFailed as exc:  # the results are printed; the push is what failed
            _fail(EXIT_ENVIRONMENT, str(exc))
    return results_exit_code(results)


def _probe_listen(running: Target, spec: Any, services: list[str], address: tuple[str, int], console: Console) -> int:
    from fleetcheck.probe_exporter import ProbeServer
    from fleetcheck.probes import ProbeRunner, ProbeScheduler, ProbeStore

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    store = ProbeStore()
    runner = ProbeRunner(running, spec)
    try:
        try:
            server = ProbeServer(address[0], address[1], runner, store)
        except OSError as exc:
            _fail(EXIT_ENVIRONMENT, f"--listen {address[0]}:{address[1]}: cannot listen there: {exc}")
        scheduler = ProbeScheduler(runner, store, services=services or None)
        server.start()
        scheduler.start()
        probes = ", ".join(f"{p.name} every {p.interval_s:g} s" for p in spec.probes)
        console.print(f"probing {len(services or runner.services())} service(s): {probes}", markup=False)
        console.print(f"listening on {server.url} (/metrics, /probe)", markup=False)
        try:
            _wait(stop)
        finally:
            scheduler.stop()
            server.close()
    finally:
        runner.close()
        signal.signal(signal.SIGTERM, previous)
    return 0


@app.command("prometheus-config")
def prometheus_config_command(
    prober: Annotated[str, typer.Option("--prober", help="The prober's HOST:PORT (fleetcheck probe --listen).")],
    target: Annotated[Path, typer.Option("--target", help="The target file whose services are scraped.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the configuration here (default: stdout).")] = None,
    module: Annotated[
        list[str] | None, typer.Option("--module", help="Add a blackbox-style /probe job for this module.")
    ] = None,
    scrape_interval: Annotated[str, typer.Option("--scrape-interval", help="Prometheus's scrape interval.")] = "15s",
    probes_file: Annotated[Path | None, typer.Option("--probes", help="The probe file the modules come from.")] = None,
    rule_file: Annotated[
        list[str] | None, typer.Option("--rule-file", help="A rule file to load (repeatable), e.g. alerts/probes.yml.")
    ] = None,
) -> None:
    """Write a Prometheus scrape configuration for the fleet's /metrics and the prober (and its /probe modules)."""
    import yaml

    from fleetcheck.probe_exporter import parse_listen, prometheus_config
    from fleetcheck.probes import ProbeFileError, default_probe_file, load_probe_file
    from fleetcheck.targets import TargetFile, TargetFileError

    if not scrape_interval[:-1].isdigit() or scrape_interval[-1] not in "smh":
        _fail(EXIT_USAGE, f"--scrape-interval {scrape_interval!r}: expected a number and a unit, e.g. 15s or 1m")
    try:
        parse_listen(prober)
        spec = load_probe_file(probes_file) if probes_file else default_probe_file()
        for name in module or []:
            spec.module(name)
        loaded = TargetFile.load(target)
    except (ValueError, ProbeFileError, TargetFileError, FleetFileError) as exc:
        _fail(EXIT_USAGE, str(exc).replace("--listen", "--prober"))
    except KeyError as exc:
        _fail(EXIT_USAGE, f"--module: {exc.args[0]}")
    config = prometheus_config(
        loaded, prober, modules=module or [], scrape_interval=scrape_interval, rule_files=rule_file or []
    )
    text = "# written by fleetcheck prometheus-config\n" + yaml.safe_dump(config, sort_keys=False)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        _out().print(f"wrote {out}", style="dim", markup=False)


@app.command()
def init(
    discover_urls: Annotated[
        list[str], typer.Option("--discover", help="A running service's base URL to probe (repeatable).")
    ],
    name: Annotated[list[str] | None, typer.Option("--name", help="Name the discovered services, in order.")] = None,
    bootstrap: Annotated[
        str | None, typer.Option("--bootstrap", help="Kafka bootstrap servers, to list the fleet's topics.")
    ] = None,
    fleet_name: Annotated[str, typer.Option("--fleet-name", help="The fleet's name in the fleet file.")] = "my-fleet",
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where fleet.yaml and target.yaml are written.")] = Path(),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Probe running services and write a commented fleet file and target file to start from."""
    from fleetcheck.discover import discover, fleet_file_text, target_file_text

    bad = [url for url in discover_urls if not url.startswith(("http://", "https://"))]
    if bad:
        _fail(EXIT_USAGE, f"--discover takes base URLs such as http://127.0.0.1:9090; saw {', '.join(bad)}")
    fleet_path, target_path = out_dir / "fleet.yaml", out_dir / "target.yaml"
    existing = [str(p) for p in (fleet_path, target_path) if p.exists()]
    if existing and not force:
        _fail(EXIT_USAGE, f"{', '.join(existing)} already exist(s); pass --force to overwrite, or --out-dir")
    console = _out()
    with _Progress(console) as progress:
        progress(f"probing {len(discover_urls)} service(s)")
        found = discover(discover_urls, names=name or (), bootstrap=bootstrap)
    out_dir.mkdir(parents=True, exist_ok=True)
    fleet_path.write_text(fleet_file_text(found, fleet_name), encoding="utf-8")
    target_path.write_text(target_file_text(found, fleet_path.name, bootstrap), encoding="utf-8")
    table = Table(title="discovered")
    for column in ("service", "health", "live", "ready", "metrics", "dependencies"):
        table.add_column(column)
    for s in found:
        cells = [f"{s.health[r][0]} ({s.health[r][1]})" if r in s.health else "—" for r in ("health", "live", "ready")]
        deps = ", ".join(d["name"] for d in s.dependencies) or "—"
        table.add_row(s.name, *cells, s.metrics_path or "—", deps)
    console.print(table)
    _load_fleet_or_exit(fleet_path)  # what was written must load: a bug here is ours, said before the user runs it
    console.print(f"wrote {fleet_path} and {target_path}; next: fleetcheck verify --target {target_path}", markup=False)


@app.command()
def checks() -> None:
    """Print the check catalogue: id, area, what it needs, and its claim."""
    from fleetcheck.runner import load_catalogue

    table = Table(title="fleetcheck check catalogue")
    for column in ("id", "area", "needs", "claim"):
        table.add_column(column)
    for check in sorted(load_catalogue(), key=lambda c: (c.area, c.id)):
        table.add_row(check.id, check.area, check.needs, check.claim)
    _out().print(table)


# ---- fleetcheck topics create | check -------------------------------------------------------------------------------

topics_app = typer.Typer(help="Provision the fleet's Kafka topics, or check a broker against the fleet file.")
app.add_typer(topics_app, name="topics")

_BootstrapOption = Annotated[
    str,
    typer.Option("--bootstrap", envvar="FLEETCHECK_KAFKA_BOOTSTRAP", help="Kafka bootstrap servers (host:port)."),
]


def _declared_topics(fleet_file: Path | None) -> list[tuple[str, int]]:
    return [(t.name, t.partitions) for t in _load_fleet_or_exit(fleet_file).topics]


def _broker_topics(bootstrap: str, timeout: float) -> dict[str, int]:
    from confluent_kafka import KafkaException

    from fleetcheck.fixtures.kafka import list_topics

    try:
        return list_topics(bootstrap, timeout=timeout)
    except KafkaException as exc:
        why = f"Kafka at {bootstrap} did not answer within {timeout:g} s: {exc.args[0]}."
        _fail(EXIT_ENVIRONMENT, f"{why} Check --bootstrap (or FLEETCHECK_KAFKA_BOOTSTRAP) and that the broker runs.")


@topics_app.command("create")
def topics_create(
    bootstrap: _BootstrapOption,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="A fleet file (default: packaged).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the broker.")] = 10.0,
) -> None:
    """Create every topic of the fleet file that the broker lacks (idempotent: existing topics are left alone)."""
    from confluent_kafka import KafkaException

    from fleetcheck.fixtures.kafka import provision_topics

    declared = _declared_topics(fleet_file)
    _broker_topics(bootstrap, timeout)  # an unreachable broker is exit 3 with the address, before anything is sent
    try:
        created = provision_topics(bootstrap, declared, timeout=timeout)
    except KafkaException as exc:
        _fail(EXIT_ENVIRONMENT, f"creating topics on {bootstrap} failed: {exc.args[0]}")
    console = _out()
    console.print(f"{len(created)} topic(s) created, {len(declared) - len(created)} already present on {bootstrap}",
                  markup=False)  # fmt: skip
    for name in created:
        console.print(f"  + {name}", markup=False)
    _report_topic_diff(console, declared, _broker_topics(bootstrap, timeout), only_partitions=True)


@topics_app.command("check")
def topics_check(
    bootstrap: _BootstrapOption,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="A fleet file (default: packaged).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the broker.")] = 10.0,
) -> None:
    """Report missing, extra, mis-partitioned and badly named topics; exit 1 if there is any."""
    declared = _declared_topics(fleet_file)
    console = _out()
    clean = _report_topic_diff(console, declared, _broker_topics(bootstrap, timeout))
    if clean:
        console.print(f"all {len(declared)} declared topics exist on {bootstrap} with their partitions", markup=False)
    raise typer.Exit(0 if clean else EXIT_FAILED)


def _report_topic_diff(
    console: Console, declared: list[tuple[str, int]], on_broker: dict[str, int], *, only_partitions: bool = False
) -> bool:
    from fleetcheck.contracts.events import compare_topics

    diff = compare_topics(declared, on_broker.items())
    lines = [f"mis-partitioned: {n} has {have} partition(s), the fleet file declares {want} (re-create it)"
             for n, want, have in diff.mispartitioned]  # fmt: skip
    if not only_partitions:
        lines += [f"missing: {n} (run `fleetcheck topics create`)" for n in diff.missing]
        lines += [f"extra: {n} is on the broker but not in the fleet file" for n in diff.extra]
        lines += [f"badly named: {n} is not <prefix>.<entity>.<action> in lower case" for n in diff.badly_named]
    for line in lines:
        console.print(line, markup=False)
    return not lines


pact_app = typer.Typer(
    help="Consumer pacts (contracts/pacts/): verify the providers of a fleet against them, publish them to a Pact "
    "Broker, record deployments and ask can-i-deploy."
)
app.add_typer(pact_app, name="pact")
_BrokerUrl = Annotated[
    str | None, typer.Option("--broker", envvar="PACT_BROKER_BASE_URL", help="A Pact Broker's base URL.")
]
_BrokerToken = Annotated[
    str | None, typer.Option("--broker-token", envvar="PACT_BROKER_TOKEN", help="A bearer token for the broker.")
]
#: the synthetic tenants the built-in provider states seed as are created through these two services
_TENANT_SERVICES = ("organization", "auth")


def _pact_cause_services(areas: list[str], services: list[str]) -> list[str]:
    """The services the committed pacts' message causes need beside ``services``, the providers verified (none when
    the pact area is not run)."""
    if not services or (areas and "pact" not in areas):
        return []
    from fleetcheck.pact import PactError, cause_services, load_pacts

    try:
        return [s for s in cause_services(load_pacts(), services) if s not in services]
    except PactError:
        return []


@pact_app.command("verify")
def pact_verify(
    target: Annotated[Path | None, typer.Option("--target", help="A target file (default: reference fleet).")] = None,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="A fleet file (default: packaged).")] = None,
    pacts: Annotated[
        Path | None, typer.Option("--pacts", help="A pact file or a directory of them (default: contracts/pacts/).")
    ] = None,
    provider: Annotated[list[str] | None, typer.Option("--provider", help="Only this provider (repeatable).")] = None,
    broker: _BrokerUrl = None,
    broker_token: _BrokerToken = None,
    provider_version: Annotated[
        str | None, typer.Option("--provider-version", help="With --broker: the provider version verified.")
    ] = None,
    provider_branch: Annotated[str | None, typer.Option("--provider-branch", help="With --broker.")] = None,
    consumer_branch: Annotated[
        list[str] | None,
        typer.Option("--consumer-branch", help="With --broker: also verify this consumer branch's latest pacts."),
    ] = None,
    wip_since: Annotated[
        str | None, typer.Option("--include-wip-since", help="With --broker: include WIP pacts since YYYY-MM-DD.")
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="With --broker: publish the verification results.")
    ] = False,
    no_fork_server: Annotated[bool, typer.Option("--no-fork-server", help=_NO_FORK_SERVER_HELP)] = False,
) -> None:
    """Replay the consumer pacts against their providers with the Pact FFI verifier: HTTP interactions against the
    running services (provider states seeded through their APIs, or the target file's pact.state_change_url),
    message interactions on the event each provider really publishes to Kafka.

    With --broker the pacts come from a Pact Broker instead (selectors: the consumers' main branch, their deployed or
    released versions, and each --consumer-branch; pending pacts included), one run per --provider."""
    from fleetcheck.pact import PactError, load_pacts, verify_pacts

    fleet = _load_fleet_or_exit(fleet_file)
    if broker is not None:
        if not provider or not provider_version:
            _fail(EXIT_USAGE, "with --broker, name each --provider to verify and the --provider-version verified")
        unknown = sorted(set(provider) - set(fleet.names()))
        if unknown:
            _fail(
                EXIT_USAGE, f"--provider {', '.join(unknown)}: not a service of the fleet ({', '.join(fleet.names())})"
            )
        chosen_providers = sorted(provider)
    else:
        try:
            chosen = load_pacts(pacts, providers=provider or ())
        except PactError as exc:
            _fail(EXIT_USAGE, str(exc))
        chosen_providers = sorted({p.provider for p in chosen})
    console = _out()
    # the reference fleet starts only the providers and the services the synthetic tenants need
    services = (
        []
        if target is not None
        else sorted({*chosen_providers, *_TENANT_SERVICES, *_pact_cause_services([], chosen_providers)})
    )
    with _Progress(console) as progress:
        try:
            fork_server = False if no_fork_server else None
            with _open_target(target, fleet, fleet_file, services, progress, fork_server) as opened:
                if broker is None:
                    progress(f"verifying {len(chosen)} pact(s)")
                    results = verify_pacts(opened, chosen)
                else:
                    asked = _BrokerRun(broker, broker_token, provider_version or "", provider_branch,
                                       tuple(consumer_branch or ()), wip_since, publish)  # fmt: skip
                    results = _verify_from_broker(opened, chosen_providers, asked)
        except _environment_errors() as exc:
            _fail(EXIT_ENVIRONMENT, str(exc))
        except PactError as exc:
            _fail(EXIT_ENVIRONMENT, str(exc))
    for result in results:
        console.print(result.summary(), markup=False, highlight=False)
    failed = sum(not r.verified for r in results)
    console.print(f"pacts: {len(results) - failed} verified, {failed} failed", markup=False)
    raise typer.Exit(EXIT_FAILED if failed else 0)


@dataclass(frozen=True)
class _BrokerRun:
    """What ``pact verify --broker`` was asked: the broker, the provider version and branch, the selection."""

    url: str
    token: str | None
    version: str
    branch: str | None
    consumer_branches: tuple[str, ...]
    wip_since: str | None
    publish: bool


def _verify_from_broker(target: Target, providers: list[str], run: _BrokerRun) -> list[Any]:
    from fleetcheck.pact_broker import Broker, Selection, verify_from_broker

    selection = Selection(branches=run.consumer_branches, include_wip_since=run.wip_since)
    with Broker(run.url, run.token) as client:
        return [
            verify_from_broker(
                target,
                name,
                client,
                provider_version=run.version,
                provider_branch=run.branch,
                selection=selection,
                publish=run.publish,
            )
            for name in providers
        ]


def _broker_or_exit(url: str | None, token: str | None) -> Any:
    from fleetcheck.pact_broker import Broker

    if not url:
        _fail(EXIT_USAGE, "name the Pact Broker with --broker URL (or PACT_BROKER_BASE_URL)")
    return Broker(url, token)


@pact_app.command("publish")
def pact_publish(
    consumer_version: Annotated[str, typer.Option("--consumer-app-version", help="The consumers' version (git SHA).")],
    branch: Annotated[str | None, typer.Option("--branch", help="The consumers' git branch.")] = None,
    pacts: Annotated[
        Path | None, typer.Option("--pacts", help="A pact file or a directory of them (default: contracts/pacts/).")
    ] = None,
    broker: _BrokerUrl = None,
    broker_token: _BrokerToken = None,
) -> None:
    """Publish the pacts to a Pact Broker, each as the given version (and branch) of its consumer."""
    from fleetcheck.pact import PactError, load_pacts

    try:
        chosen = load_pacts(pacts)
        with _broker_or_exit(broker, broker_token) as client:
            logs = client.publish(chosen, version=consumer_version, branch=branch)
    except PactError as exc:
        _fail(EXIT_ENVIRONMENT, str(exc))
    console = _out()
    for line in logs:
        console.print(line, markup=False, highlight=False)


def _recorder(*, release: bool) -> Callable[..., None]:
    """``pact record-deployment`` and ``pact record-release``: one command each, the same options."""

    def record(
        pacticipant: Annotated[str, typer.Option("--pacticipant", help="The application.")],
        version: Annotated[str, typer.Option("--version", help="Its version.")],
        environment: Annotated[str, typer.Option("--environment", help="The environment (pact-broker's name).")],
        broker: _BrokerUrl = None,
        broker_token: _BrokerToken = None,
    ) -> None:
        _record(pacticipant, version, environment, broker, broker_token, release=release)

    record.__doc__ = (
        "Record that a version of an application is released to an environment, supported beside the versions "
        "released before (a mobile app, a library); providers verify every one (selector deployedOrReleased)."
        if release
        else "Record that a version of an application is now deployed to an environment (replacing the one before)."
    )
    return record


pact_app.command("record-deployment")(_recorder(release=False))
pact_app.command("record-release")(_recorder(release=True))


def _record(
    pacticipant: str, version: str, environment: str, broker: str | None, token: str | None, *, release: bool
) -> None:
    from fleetcheck.pact import PactError

    try:
        with _broker_or_exit(broker, token) as client:
            record = client.record_release if release else client.record_deployment
            record(pacticipant, version, environment)
    except PactError as exc:
        _fail(EXIT_ENVIRONMENT, str(exc))
    what = "release" if release else "deployment"
    _out().print(f"recorded {what} of {pacticipant} {version} to {environment}", markup=False)


@pact_app.command("can-i-deploy")
def pact_can_i_deploy(
    pacticipant: Annotated[str, typer.Option("--pacticipant", help="The application to deploy.")],
    version: Annotated[str, typer.Option("--version", help="Its version.")],
    to_environment: Annotated[
        str | None, typer.Option("--to-environment", help="Where to (default: against the latest main versions).")
    ] = None,
    broker: _BrokerUrl = None,
    broker_token: _BrokerToken = None,
) -> None:
    """Ask the broker's matrix whether this version may be deployed: exit 0 yes, 1 no (with the failing pacts)."""
    from fleetcheck.pact import PactError

    try:
        with _broker_or_exit(broker, broker_token) as client:
            answer = client.can_i_deploy(pacticipant, version, to_environment)
    except PactError as exc:
        _fail(EXIT_ENVIRONMENT, str(exc))
    console = _out()
    verdict = "yes" if answer.deployable else "no"
    console.print(f"can-i-deploy {pacticipant} {version}: {verdict}", markup=False, highlight=False)
    console.print(answer.reason, markup=False, highlight=False)
    raise typer.Exit(0 if answer.deployable else EXIT_FAILED)
