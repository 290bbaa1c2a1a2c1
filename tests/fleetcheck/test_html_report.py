"""The HTML report as a reader sees it: rendered from the results alone, then opened in headless Chromium.

The unit tests read the page's visible text without a browser; the Chromium test opens the file the way a user does,
reads the DOM Chromium built and the screenshot it took.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.contracts.findings import CheckResult, Finding, Outcome, Severity
from fleetcheck.report import report_from_json, to_html, to_json, write_reports
from fleetcheck.runner import VerificationReport

if TYPE_CHECKING:
    from collections.abc import Sequence

CHROMIUM = Path("/usr/bin/chromium")
#: Seconds for one Chromium run (about 2 s here) and for each apt-get step; generous, for a loaded CI machine.
BROWSER_TIMEOUT_S, APT_TIMEOUT_S = 120, 600

SCRIPT = "<script>document.title='executed'</script>"
BENGALI = "ঢাকা ট্রেডার্স লিমিটেড: গ্রাহক তালিকা"
FAULT_REASON = (
    "needs a fault hook for postgres (mode freeze); the target file has none: add faults.postgres.freeze/thaw"
)
#: Backgrounds of a failed and a passed scorecard cell (``--failed-bg``/``--passed-bg`` in fleetcheck/_html.py)
FAILED_BG, PASSED_BG = (0xFC, 0xEB, 0xEA), (0xE8, 0xF4, 0xEC)

_ENDPOINTS_FINDINGS = (
    Finding(
        check_id="HEALTH-ENDPOINTS",
        service="auth",
        expected="200",
        observed="GET /health/ready answered 500 while every dependency was up",
        hint="Health endpoints answer 200 when healthy and need no credentials.",
        evidence=(("request", "GET /health/ready (http://127.0.0.1:8001/health/ready)"), ("response", f"500 {SCRIPT}")),
    ),
    Finding(
        check_id="HEALTH-ENDPOINTS",
        service="auth",
        expected="200",
        observed=f"GET /health answered 500 for tenant {BENGALI}",
        hint="Health endpoints answer 200 when healthy and need no credentials.",
        severity=Severity.WARNING,
        evidence=(("request", "GET /health"), ("response", f'500 {{"detail": "{BENGALI}"}}')),
    ),
)
_PARSE_FINDING = Finding(
    check_id="METRICS-PARSE",
    service="master-data",
    expected="200 with an exposition",
    observed="GET /metrics (text format) got no answer (ConnectError: [Errno 111] Connection refused)",
    hint="Serve the metrics path (/metrics) on the main port without credentials.",
    evidence=(("request", "GET /metrics (http://127.0.0.1:8002/metrics)"),),
)


_ENDPOINTS_FAILED = CheckResult(
    "HEALTH-ENDPOINTS", "health", "auth", Outcome.FAILED, findings=_ENDPOINTS_FINDINGS, judged=5,
    judged_what="health endpoints", claim="every health endpoint answers 200",
)  # fmt: skip


def _result(check: str, service: str, outcome: Outcome, **extra: object) -> CheckResult:
    area = check.split("-", 1)[0].lower()
    return CheckResult(check, area, service, outcome, **extra)  # type: ignore[arg-type]


def _passed(check: str, service: str, judged: int, what: str) -> CheckResult:
    return _result(check, service, Outcome.PASSED, judged=judged, judged_what=what, claim=f"{check} holds")


@pytest.fixture
def report() -> VerificationReport:
    results = (
        _ENDPOINTS_FAILED,
        _passed("HEALTH-SHAPE", "auth", 5, "health bodies"),
        _result("HEALTH-READY-BOUNDED", "auth", Outcome.NOT_RUN, reason=FAULT_REASON),
        _result("HEALTH-READY-RECOVERS", "auth", Outcome.NOT_RUN, reason=FAULT_REASON),
        _passed("METRICS-PARSE", "auth", 2, "scrapes with samples"),
        _result("METRICS-NO-PII", "auth", Outcome.NOT_RUN, reason="GET /metrics gave no exposition"),
        _passed("HEALTH-ENDPOINTS", "master-data", 5, "health endpoints"),
        _result("HEALTH-READY-BOUNDED", "master-data", Outcome.NOT_RUN, reason=FAULT_REASON),
        _result("HEALTH-READY-RECOVERS", "master-data", Outcome.NOT_RUN, reason=FAULT_REASON),
        _result("METRICS-PARSE", "master-data", Outcome.FAILED, findings=(_PARSE_FINDING,), claim="both scrapes parse"),
        _passed("METRICS-NO-PII", "master-data", 143, "labelled samples"),
    )
    return VerificationReport(
        target="target file examples/deployed-fleet.yaml",
        fleet="erp-bd",
        areas=("health", "metrics"),
        services=("auth", "master-data"),
        results=results,
        started_at="2026-11-28T09:15:02.123456+06:00",
        duration_s=138.6,
    )


class _VisibleText(HTMLParser):
    """The text a reader sees: nothing of <head>, <style> or <script>, nor of a closed <details> but its <summary>.

    Block elements (cells, paragraphs, list items) are apart; inline ones (links, spans) join their neighbours as
    they do on screen, so a missing space in the page shows here too.
    """

    _HIDDEN = frozenset({"head", "style", "script", "template"})
    _VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
    _INLINE = frozenset({"a", "abbr", "b", "code", "em", "i", "kbd", "small", "span", "strong", "sub", "sup", "time"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[tuple[str, bool, bool]] = []  # (tag, visible, a closed <details>)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self._INLINE:
            self.parts.append("\n")
        if tag in self._VOID:
            return
        visible, in_closed_details = self._open[-1][1:] if self._open else (True, False)
        visible = visible and tag not in self._HIDDEN and (not in_closed_details or tag == "summary")
        self._open.append((tag, visible, tag == "details" and "open" not in dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._INLINE:
            self.parts.append("\n")
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        visible, in_closed_details = self._open[-1][1:] if self._open else (True, False)
        if visible and not in_closed_details:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The page's visible text with every run of white space as one space (as a reader sees it laid out)."""
    parser = _VisibleText()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


# ---- the page, without a browser -------------------------------------------------------------------------------------


def test_every_string_from_the_target_is_escaped(report: VerificationReport) -> None:
    page = to_html(report)
    assert "<script" not in page  # the page has no script of its own, so any would be the target's
    assert "&lt;script&gt;document.title=&#39;executed&#39;&lt;/script&gt;" in page
    assert SCRIPT in visible_text(page)
    assert BENGALI in page


def test_the_page_loads_nothing_and_runs_nothing(report: VerificationReport) -> None:
    page = to_html(report)
    assert """content="default-src 'none'; style-src 'unsafe-inline'">""" in page
    assert not [word for word in ("src=", "<link", "url(", "@import") if word in page]


def test_scorecard_cells_count_failed_passed_and_not_run_per_service_and_area(report: VerificationReport) -> None:
    text = visible_text(to_html(report))
    assert "service health metrics" in text
    assert "auth 1 failed · 1 passed · 2 not run 1 passed · 1 not run" in text
    assert "master-data 1 passed · 2 not run 1 failed · 1 passed" in text
    assert "total 1 failed · 2 passed · 4 not run 1 failed · 2 passed · 1 not run" in text


def test_header_names_fleet_target_start_duration_and_counts(report: VerificationReport) -> None:
    text = visible_text(to_html(report))
    assert "fleetcheck erp-bd target file examples/deployed-fleet.yaml · started 2026-11-28 09:15:02+06:00" in text
    assert "took 2 min 19 s" in text
    assert "11 checks 2 failed 4 passed 5 not run" in text


def test_findings_say_observed_expected_fix_and_evidence_per_check(report: VerificationReport) -> None:
    text = visible_text(to_html(report))
    assert (
        "METRICS-PARSE metrics both scrapes parse 1 finding "
        "observed GET /metrics (text format) got no answer (ConnectError: [Errno 111] Connection refused) "
        "expected 200 with an exposition fix Serve the metrics path (/metrics) on the main port without credentials. "
        "evidence request GET /metrics (http://127.0.0.1:8002/metrics)"
    ) in text
    # what every finding of a check says alike is said once, above them
    assert "2 findings · judged 5 health endpoints expected 200 fix Health endpoints answer 200" in text
    assert text.count("Health endpoints answer 200 when healthy") == 1
    assert f"observed GET /health answered 500 for tenant {BENGALI} warning" in text


def test_passed_checks_say_how_much_they_judged(report: VerificationReport) -> None:
    text = visible_text(to_html(report))
    assert "passed HEALTH-SHAPE judged 5 health bodies METRICS-PARSE judged 2 scrapes with samples" in text
    assert "METRICS-NO-PII judged 143 labelled samples" in text


def test_a_not_run_reason_shared_by_checks_and_services_is_said_once_naming_them(report: VerificationReport) -> None:
    text = visible_text(to_html(report))
    assert text.count(FAULT_REASON) == 1
    assert f"1 {FAULT_REASON} HEALTH-READY-BOUNDED, HEALTH-READY-RECOVERS on auth, master-data 4 checks" in text
    assert "2 GET /metrics gave no exposition METRICS-NO-PII on auth 1 check" in text
    assert "auth 1 failed · 2 passed · 3 not run · not-run reasons 1, 2" in text


def test_a_reason_for_every_check_of_many_services_is_one_line_with_their_count() -> None:
    services = tuple(f"service-{n}" for n in range(10))
    results = tuple(
        _result(check, s, Outcome.NOT_RUN, reason="not in the target file")
        for s in services
        for check in ("HEALTH-ENDPOINTS", "HEALTH-SHAPE", "METRICS-PARSE")
    )
    text = visible_text(to_html(VerificationReport("t", "erp-bd", ("health", "metrics"), services, results)))
    assert text.count("not in the target file") == 1
    assert f"every check on 10 services: {', '.join(services)} 30 checks" in text


def test_whole_areas_are_named_as_such() -> None:
    results = (
        *(_result(c, "auth", Outcome.NOT_RUN, reason="no Kafka") for c in ("EVENTS-ENVELOPE", "EVENTS-TENANT")),
        _passed("HEALTH-SHAPE", "auth", 5, "health bodies"),
    )
    text = visible_text(to_html(VerificationReport("t", "erp-bd", ("events", "health"), ("auth",), results)))
    assert "no Kafka all 2 events checks on auth" in text


def test_long_evidence_and_tracebacks_are_folded_under_their_first_line() -> None:
    body = "\n".join(f"line {n}" for n in range(40))
    traceback = "Traceback (most recent call last):\n  KeyError: 'status'"
    evidence = (("response", body), ("traceback", traceback))
    crash = Finding("HEALTH-SHAPE", "auth", "the check to judge", "the check failed", "report it", evidence=evidence)
    results = (_result("HEALTH-SHAPE", "auth", Outcome.FAILED, findings=(crash,)),)
    page = to_html(VerificationReport("t", "erp-bd", ("health",), ("auth",), results))
    text = visible_text(page)
    assert "response line 0 · 40 lines traceback Traceback (most recent call last): · 2 lines" in text
    assert "line 39" not in text
    assert "line 39" in page  # folded, not cut: a click opens it


def test_the_page_renders_the_same_from_the_saved_json_report(report: VerificationReport) -> None:
    assert to_html(report_from_json(to_json(report))) == to_html(report)


def test_write_reports_writes_the_html_report_beside_the_others(report: VerificationReport, tmp_path: Path) -> None:
    written = write_reports(report, json_path=tmp_path / "r.json", html_path=tmp_path / "r.html")
    assert written == [tmp_path / "r.json", tmp_path / "r.html"]
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == to_html(report)


def test_fleetcheck_report_renders_a_saved_json_report(report: VerificationReport, tmp_path: Path) -> None:
    saved = tmp_path / "fleetcheck.json"
    saved.write_text(to_json(report), encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "--json", str(saved), "--html", str(tmp_path / "out" / "r.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "r.html").read_text(encoding="utf-8") == to_html(report)


def test_fleetcheck_report_of_a_file_that_is_no_report_exits_2_naming_it(tmp_path: Path) -> None:
    saved = tmp_path / "junit.xml"
    saved.write_text("<testsuites/>", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "--json", str(saved), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert f"{saved} is not a readable fleetcheck JSON report (JSONDecodeError: " in result.output
    assert "fleetcheck verify writes one (--json FILE, by default reports/fleetcheck.json)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


# ---- the page in Chromium --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; installed with apt-get where it is missing (scripts/test installs it before the run)."""
    if not CHROMIUM.exists():
        why = _install_chromium()
        if not CHROMIUM.exists():
            pytest.skip(f"{CHROMIUM} is absent and could not be installed: {why or 'apt-get left it missing'}")
    return CHROMIUM


def _install_chromium() -> str:
    """Install Debian's chromium package; the reason it did not work, or "" when it did."""
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]  # -n: fail at once rather than ask for a password
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            done = subprocess.run([*sudo, *step], capture_output=True, text=True, env=env, timeout=APT_TIMEOUT_S,
                                  check=False)  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(step)}: {exc}"
        if done.returncode != 0:
            return f"{' '.join(step)} exited {done.returncode}: {done.stderr.strip()[-500:]}"
    return ""


def _open(browser: Path, page: Path, profile: Path, *args: str) -> str:
    """Run headless Chromium on ``page`` with a fresh profile; its stdout. Bounded: a hung browser is killed."""
    command = [
        str(browser), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--window-size=1280,2000", *args, page.as_uri(),
    ]  # fmt: skip
    # its own session, so that a timeout ends the browser's helper processes too (and nothing else)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as browsing:
        try:
            out, err = browsing.communicate(timeout=BROWSER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(browsing.pid, signal.SIGKILL)
            out, err = browsing.communicate()
            pytest.fail(f"Chromium did not finish within {BROWSER_TIMEOUT_S} s: {' '.join(command)}\n{err[-2000:]}")
    assert browsing.returncode == 0, f"{' '.join(command)} exited {browsing.returncode}:\n{err[-2000:]}"
    return out


def _png_colours(path: Path, *, rows: int) -> set[bytes]:
    """The RGB colours of the first ``rows`` rows of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes).

    Only the top is decoded, where the header and scorecard are: unfiltering in pure Python takes about a second
    per 600 rows of 1280 pixels, and one colour in the top band is all a blank page would have.
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    chunks, pos = {b"IHDR": b"", b"IDAT": b""}, 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind in chunks:
            chunks[kind] += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour_type, interlace) in {(8, 2, 0), (8, 6, 0)}, f"{path}: an unexpected kind of PNG"
    size = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(chunks[b"IDAT"]), width * size
    previous, colours = bytearray(stride), set[bytes]()
    for y in range(min(rows, height)):
        line = _unfilter(raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
                         previous, size)  # fmt: skip
        colours.update(bytes(line[x : x + 3]) for x in range(0, stride, size))
        previous = line
    return colours


def _unfilter(kind: int, line: bytearray, above: Sequence[int], size: int) -> bytearray:
    """Undo one row's PNG filter (RFC 2083, 6.2-6.6) in place."""
    if kind == 0:
        return line
    for i in range(len(line)):
        left = line[i - size] if i >= size else 0
        up, up_left = above[i], (above[i - size] if i >= size else 0)
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            guess = left + up - up_left
            near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - up_left), 2, up_left))
            line[i] = (line[i] + near[2]) & 0xFF
    return line


def test_the_page_in_chromium_shows_scorecard_findings_and_reasons_as_text(
    chromium: Path, report: VerificationReport, tmp_path: Path
) -> None:
    page = tmp_path / "fleetcheck.html"
    write_reports(report, html_path=page)

    dom = _open(chromium, page, tmp_path / "profile-dom", "--dump-dom")
    assert "<script" not in dom, "a string from the target became an element"
    assert "<title>fleetcheck erp-bd: 2 failed, 4 passed, 5 not run</title>" in dom, "the target's script ran"
    text = visible_text(dom)
    assert "auth 1 failed · 1 passed · 2 not run 1 passed · 1 not run" in text
    assert "master-data 1 passed · 2 not run 1 failed · 1 passed" in text
    assert (
        "observed GET /metrics (text format) got no answer (ConnectError: [Errno 111] Connection refused) "
        "expected 200 with an exposition fix Serve the metrics path (/metrics) on the main port without credentials."
    ) in text
    assert text.count(FAULT_REASON) == 1
    assert f"{FAULT_REASON} HEALTH-READY-BOUNDED, HEALTH-READY-RECOVERS on auth, master-data" in text
    assert f"response 500 {SCRIPT}" in text
    assert BENGALI in text
    assert "HEALTH-SHAPE judged 5 health bodies" in text

    screenshot = tmp_path / "fleetcheck.png"
    _open(chromium, page, tmp_path / "profile-shot", f"--screenshot={screenshot}")
    colours = _png_colours(screenshot, rows=600)
    assert len(colours) > 1, f"{screenshot} is blank"
    assert bytes(FAILED_BG) in colours, "no scorecard cell is coloured as failed"
    assert bytes(PASSED_BG) in colours, "no scorecard cell is coloured as passed"
