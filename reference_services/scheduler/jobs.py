"""Built-in job types, cron arithmetic in a job's time zone, and the Bangladesh fiscal year (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["JOB_TYPES", "FiscalYear", "ScheduleError", "check_cron", "check_timezone", "fiscal_year", "next_run"]


class ScheduleError(ValueError):
    """A cron expression or time zone the scheduler cannot use; the message starts with the field name."""


@dataclass(frozen=True, slots=True)
class FiscalYear:
    """Bangladesh fiscal year: 1 July to 30 June (``2025-26``); Q1 is July to September."""

    label: str
    starts: date
    ends: date
    quarter: int


def fiscal_year(day: date) -> FiscalYear:
    first = day.year if day.month >= 7 else day.year - 1
    quarter = ((day.month - 7) % 12) // 3 + 1
    return FiscalYear(f"{first}-{(first + 1) % 100:02d}", date(first, 7, 1), date(first + 1, 6, 30), quarter)


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"timezone: expected an IANA time zone such as 'Asia/Dhaka'; got {name!r}") from None


def check_cron(expression: str) -> str:
    """A five-field cron expression (minute hour day month weekday)."""
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise ScheduleError(f"cron: expected five fields (minute hour day-of-month month day-of-week), e.g. "
                            f"'0 2 * * *'; got {expression!r}")  # fmt: skip
    return expression


def next_run(expression: str, timezone: str, after: datetime | None = None) -> datetime:
    """The first time after ``after`` (default now) when ``expression`` fires, as an aware time in ``timezone``."""
    zone = check_timezone(timezone)
    start = (after or datetime.now(UTC)).astimezone(zone)
    following: datetime = croniter(check_cron(expression), start).get_next(datetime)
    return following.astimezone(zone)


def _heartbeat(now: datetime) -> dict[str, Any]:
    return {"at": now.isoformat()}


def _fiscal_year_rollover(now: datetime) -> dict[str, Any]:
    year = fiscal_year(now.date())
    return {"fiscal_year": year.label, "starts": year.starts.isoformat(), "ends": year.ends.isoformat(),
            "quarter": f"Q{year.quarter}", "rollover_today": now.date() == year.starts}  # fmt: skip


# job type -> work (given the run's start time in the job's zone); the result is stored with the run
JOB_TYPES: dict[str, Callable[[datetime], dict[str, Any]]] = {
    "heartbeat": _heartbeat,
    "fiscal-year-rollover": _fiscal_year_rollover,
}
