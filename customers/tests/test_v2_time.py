"""The v2 dialect's time format (seed 002): UTC, milliseconds cut, a Z."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from customers.api.v2_contact import v2_time


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (datetime(2020, 1, 1, 9, 40, 18, 527999, tzinfo=UTC), "2020-01-01T09:40:18.527Z"),
        (datetime(2020, 1, 1, 9, 40, 18, tzinfo=ZoneInfo("UTC")), "2020-01-01T09:40:18.000Z"),
        (
            datetime(2020, 6, 1, 9, 40, 18, 1000, tzinfo=ZoneInfo("Europe/Berlin")),
            "2020-06-01T07:40:18.001Z",
        ),
        (datetime(999, 1, 1, tzinfo=timezone(timedelta(hours=-5))), "0999-01-01T05:00:00.000Z"),
    ],
)
def test_times_are_written_in_utc_with_milliseconds_cut(value, written):
    assert v2_time(value) == written
