"""The prober's HTTP face: ``/metrics`` in blackbox_exporter's families, blackbox's ``/probe``, and a scrape config.

``/metrics`` exports the scheduler's latest result of every (service, probe), labelled ``service`` and ``check`` (the
probe's name): ``probe_success``, ``probe_duration_seconds``, ``probe_http_status_code``, and
``fleetcheck_probe_last_success_timestamp_seconds``, ``fleetcheck_probe_reason`` (a state set over the bounded
:data:`~fleetcheck.probes.REASONS`: exactly one is 1) and ``fleetcheck_probe_runs_total``. A journey's steps are
``probe_duration_seconds`` series with one more label, ``step``, beside the run's own series (which has none).
``/probe?target=<service>&module=<probe or check id>`` runs one probe now and answers with the same families
unlabelled, as blackbox_exporter does, so a Prometheus job written for it works by changing the exporter address.
Exposition is prometheus_client's (a custom collector over the results; nothing is kept in global registries).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST, choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily

from fleetcheck.probes import REASONS

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from prometheus_client.metrics_core import Metric

    from fleetcheck.probes import ProbeResult, ProbeRunner, ProbeStore
    from fleetcheck.targets import Target

__all__ = ["ProbeServer", "PushFailed", "parse_listen", "prometheus_config", "push_results", "render_probe"]

_LABELS = ["service", "check"]


def _families(labels: list[str]) -> dict[str, GaugeMetricFamily]:
    return {
        "success": GaugeMetricFamily("probe_success", "Whether the probe passed on evidence it judged", labels=labels),
        "duration": GaugeMetricFamily(
            "probe_duration_seconds",
            "How long the probe took, observation and checks; a journey's steps each also with a step label",
            labels=labels,
        ),
        "status": GaugeMetricFamily(
            "probe_http_status_code",
            "The first non-2xx status the probe got, else the last; 0: no answer",
            labels=labels,
        ),
    }


def _add(families: dict[str, GaugeMetricFamily], labels: list[str], values: list[str], result: ProbeResult) -> None:
    families["success"].add_metric(values, 1.0 if result.success else 0.0)
    duration = families["duration"]
    duration.add_metric(values, result.duration_s)
    # a journey's steps: the same family, one more label. The series without it stays the whole run's, so a query
    # written for blackbox (one probe_duration_seconds per target and module) reads it with {step=""}
    for step in result.steps:
        duration.add_sample(duration.name, {**dict(zip(labels, values, strict=True)), "step": step.name},
                            step.duration_s)  # fmt: skip
    families["status"].add_metric(values, float(result.status_code))


def _reasons(labels: list[str], results: Iterable[tuple[list[str], ProbeResult]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "fleetcheck_probe_reason",
        "Why the probe's last run did not pass (a state set: exactly one reason is 1; ok when it passed)",
        labels=[*labels, "reason"],
    )
    for values, result in results:
        for reason in REASONS:
            family.add_metric([*values, reason], 1.0 if result.reason == reason else 0.0)
    return family


class _StoreCollector:
    """The scheduler's results as metric families, read at every scrape."""

    def __init__(self, store: ProbeStore) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        latest, last_success, runs = self._store.snapshot()
        latest.sort(key=lambda r: (r.service, r.probe))
        families = _families(_LABELS)
        for result in latest:
            _add(families, _LABELS, [result.service, result.probe], result)
        yield from families.values()
        stamp = GaugeMetricFamily(
            "fleetcheck_probe_last_success_timestamp_seconds",
            "When the probe last passed (Unix seconds); absent until it has",
            labels=_LABELS,
        )
        for (service, probe), when in sorted(last_success.items()):
            stamp.add_metric([service, probe], when)
        yield stamp
        yield _reasons(_LABELS, (([r.service, r.probe], r) for r in latest))
        counter = CounterMetricFamily(
            "fleetcheck_probe_runs", "Probe runs by outcome (passed, failed, not_run)", labels=[*_LABELS, "outcome"]
        )
        for (service, probe, outcome), count in sorted(runs.items()):
            counter.add_metric([service, probe, outcome], float(count))
        yield counter


class _OneResult:
    def __init__(self, result: ProbeResult) -> None:
        self._result = result

    def collect(self) -> Iterator[Metric]:
        families = _families([])
        _add(families, [], [], self._result)
        yield from families.values()
        yield _reasons([], [([], self._result)])


def render_probe(result: ProbeResult) -> bytes:
    """The exposition ``/probe`` answers for one result (blackbox's unlabelled families)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_OneResult(result))
    return generate_latest(registry)


class PushFailed(RuntimeError):
    """The Pushgateway refused the results or did not answer; the message names it and what it said."""


def push_results(results: Sequence[ProbeResult], gateway: str, *, job: str, timeout: float = 10.0) -> None:
    """Push one cycle's results to a Pushgateway (``PUT /metrics/job/<job>``: this job's earlier push is replaced),
    in the families ``/metrics`` serves, for short-lived runs that no Prometheus could scrape.

    Raises:
        PushFailed: the gateway answered an error or could not be reached.
    """
    from prometheus_client import push_to_gateway

    from fleetcheck.probes import ProbeStore

    store = ProbeStore()
    for result in results:
        store.record(result)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(store))
    try:
        push_to_gateway(gateway, job=job, registry=registry, timeout=timeout)
    except OSError as exc:  # urllib's URLError and HTTPError are OSErrors
        raise PushFailed(f"pushing the probe results to the Pushgateway at {gateway} failed: {exc}") from None


def parse_listen(value: str) -> tuple[str, int]:
    """``127.0.0.1:9115`` -> ``("127.0.0.1", 9115)``.

    Raises:
        ValueError: not HOST:PORT with a port in 1-65535; the message says what was expected.
    """
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen {value!r}: expected HOST:PORT, e.g. 127.0.0.1:9115")
    return host.strip("[]"), int(port)


class ProbeServer:
    """A threading HTTP server: ``/metrics`` over the store, ``/probe`` through the runner, ``/`` a short index."""

    def __init__(self, host: str, port: int, runner: ProbeRunner, store: ProbeStore) -> None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_StoreCollector(store))
        handler = _handler(runner, registry)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="probe-http", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5.0)


def _handler(runner: ProbeRunner, registry: CollectorRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "fleetcheck-prober"
        # keep-alive (every answer has a Content-Length): Prometheus and blackbox-style clients reuse connections, and
        # under HTTP/1.0 each scrape cost a new connection and a new handler thread
        protocol_version = "HTTP/1.1"
        # headers and body leave in one segment: two small writes under Nagle meet the client's delayed ACK
        wbufsize = -1
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return  # a scrape every few seconds is not worth a log line

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))  # OpenMetrics when asked
                self._send(200, encoder(registry), content_type)
            elif url.path == "/probe":
                self._probe(parse_qs(url.query))
            elif url.path in {"/", "/-/healthy"}:
                self._send(200, b"fleetcheck prober: /metrics, /probe?target=<service>&module=<probe or check id>\n")
            else:
                self._send(404, b"not found: this prober serves /metrics and /probe\n")

        def _probe(self, query: dict[str, list[str]]) -> None:
            target, module = (query.get(k, [""])[0] for k in ("target", "module"))
            services = runner.services()
            if target not in services:
                self._send(
                    400, f"target {target!r}: expected a service of the target: {', '.join(services)}\n".encode()
                )
                return
            try:
                probe = runner.spec.module(module or runner.spec.probes[0].name)
            except KeyError as exc:
                self._send(400, f"{exc.args[0]}\n".encode())
                return
            limit = _scrape_timeout(self.headers.get("X-Prometheus-Scrape-Timeout-Seconds"))
            result = runner.run_bounded(target, probe, limit)
            self._send(200, render_probe(result), CONTENT_TYPE_LATEST)

        def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _scrape_timeout(header: str | None) -> float | None:
    """Prometheus's scrape time-out, less half a second to answer in time (as blackbox_exporter does)."""
    try:
        return max(0.5, float(header) - 0.5) if header else None
    except ValueError:
        return None


# ---- fleetcheck prometheus-config ---------------------------------------------------------------------------------


def _host_port(base_url: str) -> tuple[str, str, str]:
    """``http://127.0.0.1:3001/base`` -> ``("http", "127.0.0.1:3001", "/base")``."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, f"{parts.hostname}:{port}", parts.path.rstrip("/")


def prometheus_config(
    target: Target,
    prober: str | None,
    *,
    modules: Sequence[str] = (),
    scrape_interval: str = "15s",
    rule_files: Sequence[str] = (),
) -> dict[str, Any]:
    """A Prometheus configuration: every service's own ``/metrics`` (job ``fleet``, labelled ``service``), the
    prober's ``/metrics`` (job ``fleetcheck-prober``, its ``service`` and ``check`` labels kept), and one
    blackbox-style ``/probe`` job per module in ``modules``, with the usual relabelling. Without a ``prober``, the
    fleet's jobs only (``modules`` need the prober)."""
    jobs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for name in target.fleet.names():
        endpoint = target.endpoints.get(name)
        if endpoint is None:
            continue
        scheme, address, base = _host_port(endpoint.base_url)
        path = f"{base}/{endpoint.metrics_path.lstrip('/')}"
        jobs.setdefault((scheme, path), []).append({"targets": [address], "labels": {"service": name}})
    scrape_configs: list[dict[str, Any]] = []
    for index, ((scheme, path), static) in enumerate(sorted(jobs.items())):
        job = "fleet" if len(jobs) == 1 else f"fleet-{index + 1}"
        scrape_configs.append({"job_name": job, "scheme": scheme, "metrics_path": path, "static_configs": static})
    if prober is None:
        modules = ()
    else:
        scrape_configs.append(
            {"job_name": "fleetcheck-prober", "honor_labels": True, "static_configs": [{"targets": [prober]}]}
        )
    services = [n for n in target.fleet.names() if n in target.endpoints]
    for module in modules:
        scrape_configs.append(
            {
                "job_name": f"fleetcheck-probe-{module}",
                "metrics_path": "/probe",
                "params": {"module": [module]},
                "static_configs": [{"targets": services}],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {"source_labels": ["__param_target"], "target_label": "service"},
                    {"target_label": "__address__", "replacement": prober},
                ],
            }
        )
    config: dict[str, Any] = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "scrape_configs": scrape_configs,
    }
    if rule_files:
        config["rule_files"] = list(rule_files)
    return config
