"""The lint mirrors `promtool check metrics` (Prometheus 2.42): same verdict, same families, same wording."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fleetcheck.contracts.metrics_lint import ExpositionSyntaxError, lint_exposition

DATA = Path(__file__).with_name("data")
PROMTOOL = Path("/usr/bin/promtool")
EXPOSITIONS = sorted(DATA.glob("*.txt"))


def _promtool_problems(text: str) -> set[str]:
    done = subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30, check=False
    )
    lines = {line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()}
    assert done.returncode in (0, 3), f"promtool failed to lint: {lines}"
    return lines


@pytest.mark.skipif(not PROMTOOL.exists(), reason="/usr/bin/promtool is missing (Debian package `prometheus`)")
@pytest.mark.parametrize("path", EXPOSITIONS, ids=[p.stem for p in EXPOSITIONS])
def test_lint_agrees_with_promtool(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ours = lint_exposition(text)
    assert {p.line() for p in ours if p.promtool} == _promtool_problems(text)
    assert bool(ours) == path.name.startswith("bad_")  # data files say their verdict in their name


def test_data_covers_clean_and_broken_expositions() -> None:
    names = {p.name.split("_")[0] for p in EXPOSITIONS}
    assert names == {"good", "bad"}
    assert len(EXPOSITIONS) >= 8


def test_histogram_rules_promtool_lacks_are_ours_only() -> None:
    problems = lint_exposition((DATA / "bad_histogram_only_ours.txt").read_text(encoding="utf-8"))
    assert [(p.family, p.text, p.promtool) for p in problems] == [
        ("rules_evaluation_duration_seconds", 'histogram "+Inf" bucket (7) differs from "_count" (8)', False),
        (
            "rules_evaluation_duration_seconds",
            "histogram buckets are not cumulative (a bucket is smaller than the one below it)",
            False,
        ),
    ]


def test_histogram_without_inf_bucket_is_a_problem() -> None:
    text = '# HELP x_seconds h\n# TYPE x_seconds histogram\nx_seconds_bucket{le="1"} 1\nx_seconds_count 1\n'
    assert [p.text for p in lint_exposition(text)] == ['histogram has no "+Inf" bucket']


def test_families_without_samples_are_not_judged_like_promtool() -> None:
    assert lint_exposition("# TYPE declared_only counter\n") == []


def test_unreadable_text_raises_with_the_line() -> None:
    with pytest.raises(ExpositionSyntaxError, match="line 3"):
        lint_exposition('# HELP x y\n# TYPE x gauge\nx{a="b" 1\n')
