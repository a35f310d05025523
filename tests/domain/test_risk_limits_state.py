"""RiskState: P&L polls (on_pnl), the day roll, the trailing floor, and the JSON it persists as."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader_gui.domain.risk_limits import (
    RiskEvent,
    RiskEventKind,
    RiskLimits,
    RiskState,
    needs_roll,
    on_pnl,
    roll_day,
    trailing_floor,
)

NOW = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 10:30:00 IST
DAY = date(2026, 11, 25)
NEXT_MORNING = datetime(2026, 11, 26, 3, 45, tzinfo=UTC)  # 09:15 IST
D = Decimal


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def poll(
    state: RiskState,
    limits: RiskLimits,
    realised: str,
    unrealised: str = "0",
    now: datetime = NOW,
) -> tuple[RiskState, list[RiskEvent]]:
    return on_pnl(state, limits, now, D(realised), D(unrealised))


def kinds(events: list[RiskEvent]) -> list[RiskEventKind]:
    return [event.kind for event in events]


# ---- the trailing floor formula ------------------------------------------------------------


TRAILING = RiskLimits(
    daily_loss_limit=D("5000"), trailing_loss_step=D("2000"), trailing_giveback=D("3000")
)


@pytest.mark.parametrize(
    ("peak", "floor"),
    [
        ("0", None),
        ("1999.99", None),
        ("2000", "-1000"),
        ("3999.99", "-1000"),
        ("4000", "1000"),
        ("5999.99", "1000"),
        ("6000", "3000"),
        ("10500", "7000"),
    ],
)
def test_trailing_floor_rises_in_whole_steps(peak: str, floor: str | None) -> None:
    assert trailing_floor(TRAILING, D(peak)) == (None if floor is None else D(floor))


def test_trailing_floor_never_falls_as_pnl_goes_up_and_down_through_the_day() -> None:
    # Arrange: a day that rallies, gives back, rallies again
    state = RiskState(trading_day=DAY)
    path = ["500", "2500", "4100", "1500", "3000", "6200", "4000", "-200"]
    floors: list[Decimal | None] = []
    # Act
    for minute, pnl in enumerate(path):
        state, _ = poll(state, TRAILING, "0", pnl, now=at(minute))
        floors.append(trailing_floor(TRAILING, state.day_peak_pnl))
    # Assert
    assert state.day_peak_pnl == D("6200")
    assert floors == [None, D(-1000), D(1000), D(1000), D(1000), D(3000), D(3000), D(3000)]


def test_reaching_the_trailing_floor_is_a_daily_breach() -> None:
    state, _ = poll(RiskState(trading_day=DAY), TRAILING, "0", "4000")

    state, events = poll(state, TRAILING, "0", "1000", now=at(5))

    assert state.daily_breached_at == at(5)
    assert kinds(events) == [RiskEventKind.DAILY_LOSS_BREACHED]
    assert events[0].sentence.startswith("Trailing loss floor 1,000.00 reached")


# ---- daily breach and cooldown -------------------------------------------------------------


def test_daily_breach_is_recorded_once_at_the_first_moment_it_is_reached() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"), cooldown_minutes=30, warn_share=None)
    state = RiskState(trading_day=DAY)

    state, before = poll(state, limits, "-4999.99", now=at(0))
    state, first = poll(state, limits, "-5000", now=at(1))
    state, _ = poll(state, limits, "-2000", now=at(2))
    state, again = poll(state, limits, "-6000", now=at(3))

    assert before == []
    assert state.daily_breached_at == at(1)
    assert first == [
        RiskEvent(
            RiskEventKind.DAILY_LOSS_BREACHED,
            "Daily loss limit 5,000.00 reached: today's P&L is -5,000.00. "
            "No new ENTRY until 11:01:00 IST, even if P&L recovers.",
        )
    ]
    assert again == []


# ---- max loss ------------------------------------------------------------------------------


def test_max_loss_trips_the_kill_switch_once_without_flatten_by_default() -> None:
    limits = RiskLimits(max_loss=D("10000"), warn_share=None)
    state = RiskState(trading_day=DAY)

    state, first = poll(state, limits, "-4000", "-6000", now=at(1))
    state, _ = poll(state, limits, "-4000", "-3000", now=at(2))
    state, second = poll(state, limits, "-4000", "-8000", now=at(3))

    assert first == [
        RiskEvent(
            RiskEventKind.TRIP_KILL_SWITCH,
            "Max loss limit 10,000.00 reached: today's P&L is -10,000.00. Kill switch on: "
            "no new ENTRY today; EXIT orders and cancels still go.",
        )
    ]
    assert second == []
    assert state.max_loss_tripped_at == at(1)


def test_max_loss_asks_for_a_flatten_only_when_enabled() -> None:
    limits = RiskLimits(max_loss=D("10000"), flatten_on_max_loss=True, warn_share=None)

    state, events = poll(RiskState(trading_day=DAY), limits, "-10500.25")

    assert kinds(events) == [RiskEventKind.TRIP_KILL_SWITCH, RiskEventKind.FLATTEN]
    assert events[1].sentence == (
        "Max loss limit 10,000.00 reached: today's P&L is -10,500.25. Squaring off every position."
    )
    _, later = poll(state, limits, "-11000", now=at(1))
    assert later == []


def test_max_loss_one_paisa_before_does_nothing() -> None:
    limits = RiskLimits(max_loss=D("10000"), flatten_on_max_loss=True, warn_share=None)

    state, events = poll(RiskState(trading_day=DAY), limits, "-9999.99")

    assert events == []
    assert state.max_loss_tripped_at is None


def test_a_crash_through_both_limits_reports_max_loss_first() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"), max_loss=D("10000"))

    _, events = poll(RiskState(trading_day=DAY), limits, "-12000")

    assert kinds(events) == [RiskEventKind.TRIP_KILL_SWITCH, RiskEventKind.DAILY_LOSS_BREACHED]


# ---- warnings ------------------------------------------------------------------------------


def test_warning_at_warn_share_of_the_daily_limit_once_per_day() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"))
    state = RiskState(trading_day=DAY)

    state, before = poll(state, limits, "0", "-3999.99", now=at(0))
    state, warned = poll(state, limits, "0", "-4000", now=at(1))
    state, _ = poll(state, limits, "0", "-1000", now=at(2))
    state, again = poll(state, limits, "0", "-4500", now=at(3))

    assert before == []
    assert warned == [
        RiskEvent(
            RiskEventKind.WARN,
            "P&L -4,000.00 has used 80% of the daily loss limit 5,000.00; "
            "new ENTRY orders stop at -5,000.00.",
        )
    ]
    assert again == []


def test_warning_at_warn_share_of_max_loss() -> None:
    limits = RiskLimits(max_loss=D("10000"), warn_share=D("0.9"))

    _, events = poll(RiskState(trading_day=DAY), limits, "-9500")

    assert events == [
        RiskEvent(
            RiskEventKind.WARN,
            "P&L -9,500.00 has used 95% of the max loss limit 10,000.00; "
            "at -10,000.00 the kill switch trips.",
        )
    ]


def test_a_jump_straight_past_the_limit_gives_the_breach_not_a_late_warning() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"))
    state = RiskState(trading_day=DAY)

    state, jump = poll(state, limits, "-6000", now=at(0))
    state, recovery = poll(state, limits, "-4500", now=at(1))

    assert kinds(jump) == [RiskEventKind.DAILY_LOSS_BREACHED]
    assert recovery == []


def test_warnings_come_again_the_next_day() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"))
    state, _ = poll(RiskState(trading_day=DAY), limits, "-4000")

    state = roll_day(state, NEXT_MORNING, D("-4000"))
    _, events = poll(state, limits, "-4000", now=NEXT_MORNING)

    assert kinds(events) == [RiskEventKind.WARN]


# ---- closing trades ------------------------------------------------------------------------


def test_consecutive_losses_count_falls_in_realised_and_reset_on_a_rise() -> None:
    limits = RiskLimits()
    state = RiskState(trading_day=DAY)
    counts = []

    for minute, realised in enumerate(["-100", "-100", "-250", "-400", "-50", "-80"]):
        state, _ = poll(state, limits, realised, "123.45", now=at(minute))
        counts.append(state.consecutive_losses)

    assert counts == [1, 1, 2, 3, 0, 1]
    assert state.last_realised == D("-80")


# ---- the day roll --------------------------------------------------------------------------


def test_roll_day_resets_the_daily_fields_and_counts_a_losing_day() -> None:
    state = RiskState(
        trading_day=DAY,
        day_peak_pnl=D("3000"),
        daily_breached_at=NOW,
        max_loss_tripped_at=NOW,
        consecutive_losses=4,
        losing_days=1,
        last_realised=D("-4000"),
        warned=frozenset({"daily_loss", "max_loss"}),
    )

    rolled = roll_day(state, NEXT_MORNING, D("-0.01"))

    assert rolled == RiskState(trading_day=date(2026, 11, 26), losing_days=2)


@pytest.mark.parametrize("final", ["0", "0.01", "2500"])
def test_roll_day_restarts_the_streak_after_a_day_that_did_not_lose(final: str) -> None:
    state = RiskState(trading_day=DAY, losing_days=3)

    assert roll_day(state, NEXT_MORNING, D(final)).losing_days == 0


def test_roll_day_within_the_same_ist_day_changes_nothing() -> None:
    state = RiskState(trading_day=DAY, consecutive_losses=2)
    late_evening = datetime(2026, 11, 25, 18, 29, 59, tzinfo=UTC)  # 23:59:59 IST

    assert roll_day(state, late_evening, D("-5000")) is state
    assert not needs_roll(state, late_evening)


def test_the_ist_day_starts_at_1830_utc() -> None:
    state = RiskState(trading_day=DAY)
    ist_midnight = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)

    assert needs_roll(state, ist_midnight)
    assert roll_day(state, ist_midnight, D(0)).trading_day == date(2026, 11, 26)


def test_a_sat_out_cooldown_day_restarts_the_streak_even_if_its_exits_lost() -> None:
    limits = RiskLimits(losing_days_for_cooldown=3)
    state = RiskState(trading_day=DAY, losing_days=3)

    rolled = roll_day(state, NEXT_MORNING, D("-700"), limits=limits)

    assert rolled.losing_days == 0


def test_losing_days_build_up_to_a_cooldown_session_and_then_clear() -> None:
    limits = RiskLimits(losing_days_for_cooldown=2)
    state = RiskState(trading_day=date(2026, 11, 23))
    mornings = [datetime(2026, 11, day, 3, 45, tzinfo=UTC) for day in (24, 25, 26)]

    state = roll_day(state, mornings[0], D("-100"), limits=limits)
    state = roll_day(state, mornings[1], D("-100"), limits=limits)
    cooldown_day = state
    state = roll_day(state, mornings[2], D("-100"), limits=limits)

    assert cooldown_day.losing_days == 2
    assert state.losing_days == 0


def test_on_pnl_refuses_a_poll_from_another_day() -> None:
    with pytest.raises(ValueError, match="call roll_day first"):
        poll(RiskState(trading_day=DAY), RiskLimits(), "0", now=NEXT_MORNING)


# ---- JSON ----------------------------------------------------------------------------------


def test_json_is_plain_strings_for_money_and_utc_iso_for_times() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    state = RiskState(
        trading_day=DAY,
        day_peak_pnl=D("1234.50"),
        daily_breached_at=datetime(2026, 11, 25, 11, 12, 7, tzinfo=ist),
        warned=frozenset({"max_loss", "daily_loss"}),
    )

    text = state.to_json()

    assert '"day_peak_pnl": "1234.50"' in text
    assert '"daily_breached_at": "2026-11-25T05:42:07+00:00"' in text
    assert '"warned": ["daily_loss", "max_loss"]' in text
    assert RiskState.from_json(text) == state


money = st.decimals(
    allow_nan=False, allow_infinity=False, places=2, max_value=10**9, min_value=-(10**9)
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))]
    ),
)


@given(
    trading_day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    day_peak_pnl=money,
    last_realised=st.decimals(allow_nan=False, allow_infinity=False),
    daily_breached_at=st.none() | moments,
    max_loss_tripped_at=st.none() | moments,
    consecutive_losses=st.integers(min_value=0, max_value=10_000),
    losing_days=st.integers(min_value=0, max_value=10_000),
    warned=st.frozensets(st.text(max_size=12)),
)
def test_json_round_trips_exactly(
    trading_day: date,
    day_peak_pnl: Decimal,
    last_realised: Decimal,
    daily_breached_at: datetime | None,
    max_loss_tripped_at: datetime | None,
    consecutive_losses: int,
    losing_days: int,
    warned: frozenset[str],
) -> None:
    state = RiskState(
        trading_day=trading_day,
        day_peak_pnl=day_peak_pnl,
        daily_breached_at=daily_breached_at,
        max_loss_tripped_at=max_loss_tripped_at,
        consecutive_losses=consecutive_losses,
        losing_days=losing_days,
        last_realised=last_realised,
        warned=warned,
    )

    back = RiskState.from_json(state.to_json())

    assert back == state
    assert str(back.day_peak_pnl) == str(state.day_peak_pnl)  # same digits, not just value
    assert str(back.last_realised) == str(state.last_realised)
    assert back.daily_breached_at is None or back.daily_breached_at.tzinfo is UTC
    assert back.to_json() == state.to_json()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"version": 99}',
        RiskState(trading_day=DAY).to_json().replace('"0"', "0", 1),
        RiskState(trading_day=DAY).to_json().replace('"losing_days": 0', '"losing_days": -1'),
        RiskState(trading_day=DAY)
        .to_json()
        .replace('"day_peak_pnl": "0"', '"day_peak_pnl": "NaN"'),
    ],
)
def test_unreadable_json_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="Saved risk state is not readable"):
        RiskState.from_json(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        RiskState(trading_day=DAY, daily_breached_at=datetime(2026, 11, 25, 5, 0))


def test_state_is_stored_in_utc_whatever_zone_it_arrives_in() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))

    state = replace(
        RiskState(trading_day=DAY), max_loss_tripped_at=datetime(2026, 11, 25, 10, 30, tzinfo=ist)
    )

    assert state.max_loss_tripped_at == NOW
    assert state.max_loss_tripped_at is not None
    assert state.max_loss_tripped_at.tzinfo is UTC
