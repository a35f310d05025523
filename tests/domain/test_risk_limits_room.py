"""room_left: what the P&L panel draws for each loss limit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from trader_gui.domain.risk_limits import (
    LimitLevel,
    LimitRoom,
    LossLimitKind,
    RiskLimits,
    RiskState,
    room_left,
)

DAY = date(2026, 11, 25)
D = Decimal


def test_no_loss_limits_means_no_rows() -> None:
    assert room_left(RiskLimits(max_order_qty=5), RiskState(trading_day=DAY), D("-100")) == []


@pytest.mark.parametrize(
    ("pnl", "room", "share", "level"),
    [
        ("250", "5250", "0", LimitLevel.OK),
        ("-3999.99", "1000.01", "0.799998", LimitLevel.OK),
        ("-4000", "1000", "0.8", LimitLevel.AMBER),
        ("-4999.99", "0.01", "0.999998", LimitLevel.AMBER),
        ("-5000", "0", "1", LimitLevel.RED),
        ("-6000", "-1000", "1.2", LimitLevel.RED),
    ],
)
def test_daily_row_room_share_and_level(pnl: str, room: str, share: str, level: LimitLevel) -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"))

    (row,) = room_left(limits, RiskState(trading_day=DAY), D(pnl))

    assert row == LimitRoom(
        LossLimitKind.DAILY_LOSS, "Daily loss limit", D(5000), D(-5000), D(room), D(share), level
    )


def test_rows_come_in_order_daily_trailing_max_loss() -> None:
    limits = RiskLimits(
        daily_loss_limit=D("5000"),
        max_loss=D("10000"),
        trailing_loss_step=D("2000"),
        trailing_giveback=D("3000"),
    )
    state = RiskState(trading_day=DAY, day_peak_pnl=D("4000"))  # trailing floor 1,000

    rows = room_left(limits, state, D("1600"))

    assert [row.kind for row in rows] == [
        LossLimitKind.DAILY_LOSS,
        LossLimitKind.TRAILING_LOSS,
        LossLimitKind.MAX_LOSS,
    ]
    trailing = rows[1]
    assert (trailing.value, trailing.floor, trailing.room) == (D(1000), D(1000), D(600))
    assert trailing.share_used == D("0.8")  # 2,400 of the 3,000 from peak to floor
    assert trailing.level is LimitLevel.AMBER
    assert rows[2].room == D("11600")
    assert rows[2].level is LimitLevel.OK


def test_trailing_row_is_red_on_its_floor() -> None:
    limits = RiskLimits(trailing_loss_step=D("2000"), trailing_giveback=D("3000"))
    state = RiskState(trading_day=DAY, day_peak_pnl=D("4000"))

    (row,) = room_left(limits, state, D("1000"))

    assert (row.room, row.share_used, row.level) == (D(0), D(1), LimitLevel.RED)


def test_trailing_row_is_hidden_while_it_sits_below_the_daily_floor() -> None:
    limits = RiskLimits(
        daily_loss_limit=D("5000"), trailing_loss_step=D("1000"), trailing_giveback=D("9000")
    )
    state = RiskState(trading_day=DAY, day_peak_pnl=D("1000"))  # trailing floor -8,000

    rows = room_left(limits, state, D("0"))

    assert [row.kind for row in rows] == [LossLimitKind.DAILY_LOSS]


def test_trailing_row_follows_a_new_peak_not_yet_in_the_state() -> None:
    limits = RiskLimits(trailing_loss_step=D("2000"), trailing_giveback=D("3000"))

    (row,) = room_left(limits, RiskState(trading_day=DAY), D("6000"))

    assert row.floor == D("3000")


def test_without_a_warning_share_there_is_no_amber() -> None:
    limits = RiskLimits(max_loss=D("10000"), warn_share=None)

    (row,) = room_left(limits, RiskState(trading_day=DAY), D("-9999"))

    assert row.name == "Max loss limit"
    assert row.level is LimitLevel.OK
