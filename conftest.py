"""Session wiring for the whole suite: how tests may be spread over pytest-xdist workers.

Many folders start servers once per session and worker (the reference fleet, one PostgreSQL + Kafka, mutant
fleets). Spreading one folder's tests over two workers would start those servers twice and, where consumer group
ids are fixed, let two copies of a service split one topic. So under ``-n N`` every test carries an
``xdist_group`` of its folder and the distribution is ``loadgroup``: each worker runs whole folders.
``tests/contract``, ``tests/conformance``, ``tests/probes`` and ``tests/pact`` share one group: they share the
session's reference fleet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

_TESTS = Path(__file__).parent / "tests"
_LOADGROUP = "fleetcheck_loadgroup"
#: group -> tests of it this process has yet to run, and what to close once none is left
_LEFT = pytest.StashKey[dict[str, int]]()
_CLOSERS = pytest.StashKey[dict[str, list["Callable[[], None]"]]]()
#: Folders whose tests share one session fixture and must therefore run on one worker.
_SHARED = {
    "contract": "reference-fleet",
    "conformance": "reference-fleet",
    "probes": "reference-fleet",
    "pact": "reference-fleet",
    "observability": "reference-fleet",
}
#: Folders heavy enough to be split by their subfolders.
_SPLIT = {"mutants", "reference_services"}
#: Worker seconds of the groups that take longest (setup + call + teardown in the JUnit report of a whole
#: ``scripts/test`` run on four workers, this 2-core machine, 2026-12-07, nothing else running: 2,778 worker seconds
#: in all). xdist hands groups out in queue order, and by default it queues them by test count, which put the
#: few-but-slow mutant groups last: one worker ran them alone for minutes at the end. Queued longest first instead,
#: the workers finish close together. A group not listed here follows, in xdist's usual order.
_COST_S: dict[str, float] = {
    # tests/contract (its first test waits for the whole verification, ~115 s), conformance, probes (the alerts that
    # must fire after their minute, 88 s), pact, observability, on one reference fleet
    "reference-fleet": 594,
    "mutants/events": 285,
    "foreign_fleet": 264,
    "events": 195,
    "mutants/health_metrics": 164,
    "load": 147,
    "fixtures": 138,
    "mutants/flows": 123,
    "mutants/tenancy": 104,
    "mutants/pact": 102,
    "migrations": 76,
    "third_party": 68,
    "fleetcheck": 66,
    "flows": 59,
    "reference_services/workflow": 46,
    "reference_services/scheduler": 36,
    "reference_services/api_gateway": 36,
    "mutants/migrations": 35,
    "reference_services/rules_engine": 33,
    "reference_services/import_export": 33,
    "reference_services/document_generator": 29,
    "reference_services/configuration": 23,
    "packaging": 22,
}


def xdist_group_of(path: Path) -> str:
    """The xdist group of a test file: its folder under tests/ (subfolder for the heavy ones)."""
    parts = path.resolve().relative_to(_TESTS).parts[:-1]
    if not parts:
        return "tests"
    if parts[0] in _SPLIT and len(parts) > 1:
        return f"{parts[0]}/{parts[1]}"
    return _SHARED.get(parts[0], parts[0])


class _MutationScore:
    """Adds up the verdicts that mutant tests record and prints the mutation score per area at the end of the run.

    A mutant test records ``("mutation", (area, mutant, killed))`` in its report's user properties
    (``tests/mutants/conftest.py``). Under xdist only the controller prints, and it loads only this conftest, so the
    verdicts travel to it on the reports and are added up here.
    """

    def __init__(self) -> None:
        self.verdicts: dict[str, dict[str, bool]] = defaultdict(dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == "mutation":
                area, mutant, killed = value
                self.verdicts[area][mutant] = bool(killed)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.verdicts:
            return
        terminalreporter.section("mutation score")
        for area, verdicts in sorted(self.verdicts.items()):
            killed = sum(verdicts.values())
            terminalreporter.write_line(f"mutation score [{area}]: {killed}/{len(verdicts)} mutants killed")
            for mutant in sorted(name for name, was_killed in verdicts.items() if not was_killed):
                terminalreporter.write_line(f"  survived: {mutant}")


@dataclass(frozen=True)
class MutationScore:
    """Records one mutant's verdict on its test's report; :class:`_MutationScore` adds them up and prints the score.

    A mutant test calls ``mutation_score.record(area, mutant, killed=...)``; the score is printed per area at the end
    of the run (also under xdist), so a mutant that survives is visible even in a long log.
    """

    node: pytest.Item

    def record(self, area: str, mutant: str, *, killed: bool) -> None:
        self.node.user_properties.append(("mutation", (area, mutant, killed)))


@pytest.fixture
def mutation_score(request: pytest.FixtureRequest) -> MutationScore:
    return MutationScore(request.node)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller, or the only process without xdist
        config.pluginmanager.register(_MutationScore(), "fleetcheck-mutation-score")
    if config.pluginmanager.hasplugin("xdist") and getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
    if getattr(config.option, "dist", "no") == "loadgroup":
        _refuse_broken_grouping(config)
        config.option.loadscopereorder = False  # keep the longest-first order of pytest_collection_modifyitems
    if getattr(config, "workerinput", {}).get(_LOADGROUP):
        config.option.loadgroup = True  # a worker parses only the command line, where ``-n N`` meant ``load``


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker whether the controller distributes by group."""
    node.workerinput[_LOADGROUP] = node.config.option.dist == "loadgroup"


#: Run last within their group (and the session): tests/contract's verification ends with the fault phases, which stop
#: the embedded Kafka. Tansu keeps everything in memory, so it comes back without its producers' state and hands out
#: producer ids again from the start; an idempotent producer that outlived the stop can share its id with one made
#: afterwards, and then the broker fences it or drops its events as duplicates. Measured: after the verification,
#: api-gateway's events never reached Kafka again, and organization's relay did not until it replaced its producer.
#: The folders that read the fleet's events (tests/pact) therefore go before it.
_LAST_IN_GROUP = {"contract"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which turns the marks into the nodeid's @group suffix
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_runs_last)  # stable: every other test keeps its place
    if not config.pluginmanager.hasplugin("xdist"):
        return
    counts: dict[str, int] = {}
    for item in items:
        if (group := _group_of(item)) is not None:
            item.add_marker(pytest.mark.xdist_group(group))
            counts[group] = counts.get(group, 0) + 1
    if getattr(config.option, "loadgroup", False):  # an xdist worker whose controller distributes by group
        # stable: each group's tests keep their order; longest groups first, then the rest by test count
        items.sort(key=lambda item: _queue_key(_group_of(item), counts))


def _queue_key(group: str | None, counts: dict[str, int]) -> tuple[float, int]:
    if group is None:
        return (0.0, 0)
    return (-_COST_S.get(group, 0.0), -counts[group])


def _refuse_broken_grouping(config: pytest.Config) -> None:
    """pytest-xdist (up to 3.8, the newest when written) marks a test's group by writing ``Node._nodeid``; pytest 9.2
    keeps node ids in ``Node._id``, so there every group is silently ignored and each folder's servers start on both
    workers. Refuse that pair with a clear message rather than run a suite twice as slow."""
    import xdist
    from packaging.version import Version

    if Version(pytest.__version__) >= Version("9.2") and Version(xdist.__version__) <= Version("3.8.0"):
        raise pytest.UsageError(
            f"pytest {pytest.__version__} with pytest-xdist {xdist.__version__}: --dist loadgroup has no effect "
            "(xdist writes the group into Node._nodeid, which pytest 9.2 no longer reads), so folders would be split "
            "over workers and start their servers twice. Reinstall the test extras: pyproject.toml pins pytest<9.2."
        )


def _runs_last(item: pytest.Item) -> bool:
    parts = item.path.resolve().relative_to(_TESTS).parts if _TESTS in item.path.resolve().parents else ()
    return bool(parts) and parts[0] in _LAST_IN_GROUP


def _group_of(item: pytest.Item) -> str | None:
    return xdist_group_of(item.path) if _TESTS in item.path.resolve().parents else None


def pytest_collection_finish(session: pytest.Session) -> None:
    left: dict[str, int] = {}
    for item in session.items:
        if (group := _group_of(item)) is not None:
            left[group] = left.get(group, 0) + 1
    session.config.stash[_LEFT] = left
    session.config.stash[_CLOSERS] = {}


@pytest.fixture(scope="session")
def close_with_group(pytestconfig: pytest.Config) -> Callable[[str, Callable[[], None]], None]:
    """``close_with_group(__file__, server.close)``: close a session-scoped server as soon as the last test of that
    file's group has run here, not at the end of the session.

    A worker keeps every session fixture until it ends, so a 13-service fleet would otherwise idle (relays and
    consumers polling) through every later folder on that worker and slow them all. Counting the group's tests down
    is safe in any order; where a group's tests are spread over workers (xdist without ``loadgroup``) the count never
    reaches 0 here and the server is closed at session end as before (the closer must then be idempotent).
    """

    def register(path: str, close: Callable[[], None]) -> None:
        pytestconfig.stash[_CLOSERS].setdefault(xdist_group_of(Path(path)), []).append(close)

    return register


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    group = _group_of(item)
    left = item.config.stash.get(_LEFT, {})
    if group is None or group not in left:
        return
    left[group] -= 1
    if left[group] == 0:
        for close in item.config.stash[_CLOSERS].pop(group, []):
            close()
