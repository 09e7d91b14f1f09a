"""Business hours: the validation deadline of an enrollment (rule 13).

"Within 24 business hours" counts only the hours of business days: Saturdays, Sundays and
French public holidays (the `holidays` package) do not count. Times are in Europe/Paris.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_business_hours(start: datetime, hours: float) -> datetime:
    """`start` plus `hours` hours counted on business days only (result in UTC)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    local = start.astimezone(PARIS)
    remaining = timedelta(hours=hours)
    while True:
        day = local.date()
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)
        if is_business_day(day):
            # Subtract in UTC: days with a DST change last 23 or 25 hours.
            available = next_midnight.astimezone(UTC) - local.astimezone(UTC)
            if remaining <= available:
                return local.astimezone(UTC) + remaining
            remaining -= available
        local = next_midnight


def session_started(starts_on: date, now: datetime | None = None) -> bool:
    """True from the first day of a session (Paris calendar): it can no longer be booked
    online nor chosen for a postponement."""
    return starts_on <= (now or datetime.now(UTC)).astimezone(PARIS).date()
