"""Indian market time. IST has no daylight saving, so a fixed offset is exact."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

IST = timezone(timedelta(hours=5, minutes=30), "IST")


def trading_day_start(now: datetime) -> datetime:
    """Midnight IST of the day `now` falls in, as an aware UTC datetime."""
    local = now.astimezone(IST)
    return datetime.combine(local.date(), time(0), IST).astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)
