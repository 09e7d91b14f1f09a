"""Staff validate a booking request within 24 business hours (rule 13): weekends and French
public holidays do not count. Every clock here is fixed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.business_hours import PARIS, add_business_hours, is_business_day


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_a_weekday_booking_is_due_the_next_day_at_the_same_time():
    assert add_business_hours(paris(2026, 11, 24, 11, 15), 24) == paris(2026, 11, 25, 11, 15)


def test_a_friday_booking_skips_the_weekend():
    assert add_business_hours(paris(2026, 11, 20, 16, 30), 24) == paris(2026, 11, 23, 16, 30)


def test_a_saturday_booking_is_due_at_the_end_of_monday():
    assert add_business_hours(paris(2026, 11, 21, 9, 0), 24) == paris(2026, 11, 24, 0, 0)


def test_a_booking_before_bastille_day_skips_the_holiday():
    # Tuesday 14 July 2026 is a public holiday in France.
    assert not is_business_day(paris(2026, 7, 14).date())
    assert add_business_hours(paris(2026, 7, 13, 15, 0), 24) == paris(2026, 7, 15, 15, 0)


def test_a_booking_on_christmas_eve_skips_christmas_and_the_weekend():
    # Friday 25 December 2026, then Saturday and Sunday: due on Monday 28.
    assert add_business_hours(paris(2026, 12, 24, 9, 0), 24) == paris(2026, 12, 28, 9, 0)


def test_the_spring_dst_change_keeps_the_paris_wall_clock():
    # Clocks go forward on Sunday 29 March 2026: the Monday deadline is 10:00 in Paris,
    # 08:00 UTC, 71 real hours after a Friday 10:00 (09:00 UTC) booking.
    friday = paris(2026, 3, 27, 10, 0)
    due = add_business_hours(friday, 24)
    assert due == paris(2026, 3, 30, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert due - friday == timedelta(hours=71)


def test_a_deadline_is_given_in_utc_from_any_time_zone():
    due = add_business_hours(datetime(2026, 11, 24, 10, 15, tzinfo=UTC), 24)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 25, 10, 15, tzinfo=UTC)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        add_business_hours(datetime(2026, 11, 24, 10, 0), 24)
