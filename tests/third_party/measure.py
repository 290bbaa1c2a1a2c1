"""``python -m tests.third_party.measure [--out FILE]``: the measurements behind FACTS.md, taken again.

Starts every third-party server (``third_party_servers``), reads each path (status, Content-Type, Cache-Control,
a body excerpt), runs ``promtool check metrics`` on each ``/metrics``, then breaks each exporter's dependency with
the control CLI (stop, then freeze) while polling the exporter every 0.25 s, and prints what it saw as JSON.
Timings are of this machine on the day; FACTS.md quotes them as measured, not as bounds.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from fleetcheck.fixtures.prometheus import promtool_check_metrics
from tests.third_party.servers import third_party_servers

PATHS: dict[str, list[str]] = {
    "etcd": ["/health", "/health?serializable=true", "/livez", "/readyz", "/version", "/metrics"],
    "prometheus": ["/-/healthy", "/-/ready", "/metrics"],
    "alertmanager": ["/-/healthy", "/-/ready", "/metrics"],
    "postgres-exporter": ["/", "/health", "/metrics"],
    "redis-exporter": ["/", "/health", "/metrics"],
}
#: exporter -> (its dependency, the metrics that tell whether it reaches it)
WATCHED: dict[str, tuple[str, list[str]]] = {
    "postgres-exporter": ("postgres", ["pg_up", "pg_exporter_last_scrape_error"]),
    "redis-exporter": ("redis", ["redis_up", "redis_exporter_last_scrape_error"]),
}
_POLL_S = 0.25
_FAULT_WATCH_S = 40.0


def read_path(url: str) -> dict[str, Any]:
    started = time.monotonic()
    response = httpx.get(url, timeout=30.0)
    return {
        "status": response.status_code,
        "content_type": response.headers.get("content-type"),
        "cache_control": response.headers.get("cache-control"),
        "excerpt": response.text[:160],
        "seconds": round(time.monotonic() - started, 3),
    }


def metric_values(text: str, names: list[str]) -> dict[str, str]:
    values = {}
    for name in names:
        if match := re.search(rf"^{name}(\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE):
            values[name] = match.group(2)
    return values


def scrape(url: str, names: list[str], timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        response = httpx.get(f"{url}/metrics", timeout=timeout)
    except httpx.HTTPError as exc:
        return {"error": type(exc).__name__, "seconds": round(time.monotonic() - started, 2)}
    health = httpx.get(f"{url}/health", timeout=timeout).status_code
    return {"status": response.status_code, "health": health, **metric_values(response.text, names),
            "seconds": round(time.monotonic() - started, 2)}  # fmt: skip


def watch_fault(url: str, names: list[str], control: dict[str, str], mode: str) -> dict[str, Any]:
    """Inject ``mode``, poll until the metric says down (or time runs out), restore, poll until it says up."""
    undo = {"stop": "start", "freeze": "thaw"}[mode]
    down_metric = names[0]
    timeline: list[tuple[float, dict[str, Any]]] = []
    subprocess.run(control[mode], shell=True, check=True, capture_output=True, timeout=60)
    broken_at = time.monotonic()
    down_after = None
    while time.monotonic() - broken_at < _FAULT_WATCH_S:
        seen = scrape(url, names, timeout=30.0)
        timeline.append((round(time.monotonic() - broken_at, 2), seen))
        if seen.get(down_metric) == "0":
            down_after = timeline[-1][0]
            break
        time.sleep(_POLL_S)
    subprocess.run(control[undo], shell=True, check=True, capture_output=True, timeout=60)
    restored_at = time.monotonic()
    up_after = None
    while time.monotonic() - restored_at < _FAULT_WATCH_S:
        seen = scrape(url, names, timeout=30.0)
        timeline.append((round(time.monotonic() - broken_at, 2), {**seen, "restored": True}))
        if seen.get(down_metric) == "1":
            up_after = round(time.monotonic() - restored_at, 2)
            break
        time.sleep(_POLL_S)
    return {"mode": mode, "down_after_s": down_after, "up_after_restore_s": up_after, "timeline": timeline}


def measure(workdir: Path) -> dict[str, Any]:
    report: dict[str, Any] = {}
    with third_party_servers(workdir) as servers:
        for name, paths in PATHS.items():
            url = servers.urls[name]
            entry: dict[str, Any] = {"url": url, "paths": {path: read_path(url + path) for path in paths}}
            passed, output = promtool_check_metrics(httpx.get(f"{url}/metrics", timeout=30.0).text)
            entry["promtool"] = {"passed": passed, "output": output.splitlines()}
            report[name] = entry
        for exporter, (dependency, names) in WATCHED.items():
            url = servers.urls[exporter]
            report[exporter]["faults"] = [
                watch_fault(url, names, servers.controls[dependency], mode) for mode in ("stop", "freeze")
            ]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the JSON here as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetcheck-third-party-") as tmp:
        report = measure(Path(tmp))
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
