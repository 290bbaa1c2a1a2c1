"""The scheduler's pure parts: cron arithmetic in Asia/Dhaka and the Bangladesh fiscal year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from reference_services.scheduler.jobs import JOB_TYPES, ScheduleError, check_cron, fiscal_year, next_run


def test_next_run_of_a_daily_2am_job_is_2am_dhaka_at_offset_plus_six() -> None:
    after = datetime(2025, 3, 10, 21, 0, tzinfo=UTC)  # 03:00 on 11 March in Dhaka: today's 02:00 has passed
    due = next_run("0 2 * * *", "Asia/Dhaka", after)
    assert due.isoformat() == "2025-03-12T02:00:00+06:00"
    assert due.utcoffset() == timedelta(hours=6)
    assert due.astimezone(UTC) == datetime(2025, 3, 11, 20, 0, tzinfo=UTC)


def test_next_run_of_an_every_minute_job_is_the_next_whole_minute() -> None:
    due = next_run("* * * * *", "Asia/Dhaka", datetime(2025, 7, 1, 0, 0, 30, tzinfo=UTC))
    assert due.isoformat() == "2025-07-01T06:01:00+06:00"


@pytest.mark.parametrize("cron", ["* * * *", "61 * * * *", "every minute", "* * * * * *"])
def test_a_cron_that_is_not_five_valid_fields_is_refused_naming_cron(cron: str) -> None:
    with pytest.raises(ScheduleError, match=r"^cron: expected five fields"):
        check_cron(cron)


def test_an_unknown_time_zone_is_refused_naming_timezone() -> None:
    with pytest.raises(ScheduleError, match=r"^timezone: expected an IANA time zone"):
        next_run("* * * * *", "Mars/Olympus")


@pytest.mark.parametrize(
    ("day", "label", "quarter"),
    [
        (date(2025, 7, 1), "2025-26", 1),
        (date(2025, 6, 30), "2024-25", 4),
        (date(2025, 12, 31), "2025-26", 2),
        (date(2026, 1, 1), "2025-26", 3),
        (date(1999, 9, 30), "1999-00", 1),
    ],
)
def test_fiscal_year_runs_from_1_july_to_30_june(day: date, label: str, quarter: int) -> None:
    year = fiscal_year(day)
    assert (year.label, year.quarter) == (label, quarter)
    assert year.starts <= day <= year.ends
    assert (year.starts.month, year.starts.day, year.ends.month, year.ends.day) == (7, 1, 6, 30)


def test_fiscal_year_rollover_job_reports_the_year_of_its_dhaka_date() -> None:
    # 18:30 UTC on 30 June is 00:30 on 1 July in Dhaka: the new fiscal year has started there
    moment = datetime(2025, 6, 30, 18, 30, tzinfo=UTC).astimezone(next_run("* * * * *", "Asia/Dhaka").tzinfo)
    result = JOB_TYPES["fiscal-year-rollover"](moment)
    assert result == {"fiscal_year": "2025-26", "starts": "2025-07-01", "ends": "2026-06-30", "quarter": "Q1",
                      "rollover_today": True}  # fmt: skip
