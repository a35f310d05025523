"""check_order: each limit blocks at its boundary and not before, with its own sentence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest

from trader_gui.domain.enums import Exchange, ExecutionType, OrderType, Product, Side, Source
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.risk_limits import (
    OrderContext,
    RiskLimits,
    RiskRule,
    RiskState,
    RiskVerdict,
    check_order,
    limit_problems,
)

NOW = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 10:30:00 IST
DAY = date(2026, 11, 25)
D = Decimal


def command(
    *,
    execution_type: ExecutionType = ExecutionType.ENTRY,
    quantity: int = 10,
    order_type: OrderType = OrderType.LIMIT,
    price: str | None = "100.00",
    trigger_price: str | None = None,
    source: Source = Source.MANUAL,
) -> OrderCommand:
    needs_price = order_type in (OrderType.LIMIT, OrderType.SL)
    return OrderCommand(
        command_id="cmd-1",
        client_id="FA0001",
        symbol="SBIN",
        exchange=Exchange.NSE,
        side=Side.BUY,
        quantity=quantity,
        order_type=order_type,
        product=Product.MIS,
        strategy="manual",
        execution_type=execution_type,
        source=source,
        price=D(price) if needs_price and price is not None else None,
        trigger_price=D(trigger_price) if trigger_price is not None else None,
    )


entry = partial(command, execution_type=ExecutionType.ENTRY)
exit_order = partial(command, execution_type=ExecutionType.EXIT)


def context(
    pnl: str = "0",
    *,
    now: datetime = NOW,
    last_price: str | None = "100.00",
    open_orders: int = 0,
    orders_last_minute: int = 0,
    is_flatten: bool = False,
) -> OrderContext:
    return OrderContext(
        now=now,
        pnl_total=D(pnl),
        last_price=None if last_price is None else D(last_price),
        open_orders=open_orders,
        orders_last_minute=orders_last_minute,
        is_flatten=is_flatten,
    )


def fresh_state(**changes: object) -> RiskState:
    return replace(RiskState(trading_day=DAY), **changes)  # type: ignore[arg-type]


def check(
    order: OrderCommand,
    limits: RiskLimits,
    ctx: OrderContext | None = None,
    state: RiskState | None = None,
) -> RiskVerdict:
    return check_order(order, limits, state or fresh_state(), ctx or context())


# ---- no limits -----------------------------------------------------------------------------


def test_no_limits_block_nothing() -> None:
    # Arrange
    limits = RiskLimits()
    # Act
    verdict = check(entry(quantity=1_000_000), limits, context("-1000000"))
    # Assert
    assert verdict == RiskVerdict(None, None, [])
    assert not verdict.blocked


# ---- daily loss limit ----------------------------------------------------------------------


def test_daily_loss_limit_blocks_entry_at_exactly_the_limit() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"))

    verdict = check(entry(), limits, context("-5000.00"))

    assert verdict.rule is RiskRule.DAILY_LOSS
    assert verdict.blocked_sentence == (
        "Daily loss limit 5,000.00 reached: today's P&L is -5,000.00."
    )


def test_daily_loss_limit_lets_entry_pass_one_paisa_before() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"))

    verdict = check(entry(), limits, context("-4999.99"))

    assert not verdict.blocked


def test_daily_loss_sentence_reads_like_the_design() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"))

    verdict = check(entry(), limits, context("-5231.40"))

    assert verdict.blocked_sentence == (
        "Daily loss limit 5,000.00 reached: today's P&L is -5,231.40."
    )


# ---- max loss ------------------------------------------------------------------------------


def test_max_loss_blocks_entry_at_exactly_the_floor_and_not_one_paisa_before() -> None:
    limits = RiskLimits(max_loss=D("10000"))

    at_floor = check(entry(), limits, context("-10000"))
    before = check(entry(), limits, context("-9999.99"))

    assert at_floor.rule is RiskRule.MAX_LOSS
    assert at_floor.blocked_sentence == (
        "Max loss limit 10,000.00 reached: today's P&L is -10,000.00."
    )
    assert not before.blocked


def test_max_loss_once_tripped_blocks_entry_for_the_rest_of_the_day_even_after_recovery() -> None:
    limits = RiskLimits(max_loss=D("10000"))
    state = fresh_state(max_loss_tripped_at=NOW)

    verdict = check(entry(), limits, context("-2000", now=NOW + timedelta(hours=2)), state)

    assert verdict.rule is RiskRule.MAX_LOSS
    assert verdict.blocked_sentence == (
        "Max loss limit 10,000.00 was reached at 10:30:00 IST: no new ENTRY until the next "
        "session (today's P&L is -2,000.00)."
    )


def test_max_loss_is_checked_before_the_daily_limit() -> None:
    limits = RiskLimits(daily_loss_limit=D("5000"), max_loss=D("10000"))

    verdict = check(entry(), limits, context("-12000"))

    assert verdict.rule is RiskRule.MAX_LOSS


# ---- trailing floor ------------------------------------------------------------------------


TRAILING = RiskLimits(
    daily_loss_limit=D("5000"), trailing_loss_step=D("2000"), trailing_giveback=D("3000")
)


def test_trailing_floor_blocks_entry_at_the_floor_set_by_the_peak() -> None:
    state = fresh_state(day_peak_pnl=D("4500"))  # floor = 4,000 - 3,000 = 1,000

    at_floor = check(entry(), TRAILING, context("1000"), state)
    above = check(entry(), TRAILING, context("1000.01"), state)

    assert at_floor.rule is RiskRule.TRAILING_LOSS
    assert at_floor.blocked_sentence == (
        "Trailing loss floor 1,000.00 reached: today's P&L is 1,000.00 (day's peak 4,500.00, "
        "at most 3,000.00 given back from the last step)."
    )
    assert not above.blocked


def test_trailing_floor_is_not_in_force_before_the_first_step() -> None:
    state = fresh_state(day_peak_pnl=D("1999.99"))

    verdict = check(entry(), TRAILING, context("-4999.99"), state)

    assert not verdict.blocked


def test_daily_limit_still_applies_when_the_trailing_floor_is_lower() -> None:
    limits = RiskLimits(
        daily_loss_limit=D("5000"), trailing_loss_step=D("1000"), trailing_giveback=D("9000")
    )
    state = fresh_state(day_peak_pnl=D("1000"))  # trailing floor -8,000 < -5,000

    verdict = check(entry(), limits, context("-5000"), state)

    assert verdict.rule is RiskRule.DAILY_LOSS


def test_trailing_floor_uses_the_current_pnl_as_peak_when_the_state_lags() -> None:
    state = fresh_state(day_peak_pnl=D("0"))

    verdict = check(entry(), TRAILING, context("4000"), state)  # floor 1,000 < 4,000

    assert not verdict.blocked


# ---- cooldown after a daily breach ---------------------------------------------------------


COOLDOWN = RiskLimits(daily_loss_limit=D("5000"), cooldown_minutes=30)


def test_cooldown_blocks_entry_after_a_breach_even_when_pnl_recovered() -> None:
    state = fresh_state(daily_breached_at=NOW)

    verdict = check(entry(), COOLDOWN, context("-1000", now=NOW + timedelta(minutes=10)), state)

    assert verdict.rule is RiskRule.COOLDOWN
    assert verdict.blocked_sentence == (
        "Cooldown of 30 minutes after today's loss limit was reached at 10:30:00 IST: "
        "no new ENTRY until 11:00:00 IST (today's P&L is -1,000.00)."
    )


def test_cooldown_still_blocks_one_microsecond_before_it_ends() -> None:
    state = fresh_state(daily_breached_at=NOW)
    just_before = NOW + timedelta(minutes=30) - timedelta(microseconds=1)

    verdict = check(entry(), COOLDOWN, context("-1000", now=just_before), state)

    assert verdict.rule is RiskRule.COOLDOWN


def test_cooldown_expires_at_exactly_breached_at_plus_minutes() -> None:
    state = fresh_state(daily_breached_at=NOW)

    verdict = check(entry(), COOLDOWN, context("-1000", now=NOW + timedelta(minutes=30)), state)

    assert not verdict.blocked


def test_cooldown_also_runs_on_the_monotonic_clock_when_the_breach_was_seen() -> None:
    """The wall clock jumped an hour ahead 10 minutes after the breach: 20 minutes remain."""
    state = fresh_state(daily_breached_at=NOW)
    jumped = NOW + timedelta(minutes=70)
    ctx = replace(context("-1000", now=jumped), since_breach_s=10 * 60)

    verdict = check(entry(), COOLDOWN, ctx, state)
    over = check(entry(), COOLDOWN, replace(ctx, since_breach_s=30 * 60), state)

    assert verdict.rule is RiskRule.COOLDOWN
    assert verdict.blocked_sentence is not None
    assert "no new ENTRY until 12:00:00 IST" in verdict.blocked_sentence
    assert not over.blocked


# ---- consecutive losses, losing days, profit target ----------------------------------------


def test_consecutive_losses_block_at_the_limit_and_not_before() -> None:
    limits = RiskLimits(max_consecutive_losses=3)

    at_limit = check(entry(), limits, state=fresh_state(consecutive_losses=3))
    before = check(entry(), limits, state=fresh_state(consecutive_losses=2))

    assert at_limit.rule is RiskRule.CONSECUTIVE_LOSSES
    assert at_limit.blocked_sentence == (
        "Max consecutive losses 3 reached: the last 3 closing trades today lost money."
    )
    assert not before.blocked


def test_losing_days_block_the_whole_session_at_the_limit_and_not_before() -> None:
    limits = RiskLimits(losing_days_for_cooldown=3)

    at_limit = check(entry(), limits, state=fresh_state(losing_days=3))
    before = check(entry(), limits, state=fresh_state(losing_days=2))

    assert at_limit.rule is RiskRule.LOSING_DAYS
    assert at_limit.blocked_sentence == (
        "Losing-days limit 3 reached: the last 3 trading days closed in loss, "
        "so no new ENTRY this session."
    )
    assert not before.blocked


def test_profit_target_blocks_entry_at_exactly_the_target_and_not_one_paisa_before() -> None:
    limits = RiskLimits(daily_profit_target=D("10000"))

    at_target = check(entry(), limits, context("10000"))
    before = check(entry(), limits, context("9999.99"))

    assert at_target.rule is RiskRule.PROFIT_TARGET
    assert at_target.blocked_sentence == (
        "Daily profit target 10,000.00 reached: today's P&L is 10,000.00; no new ENTRY today."
    )
    assert not before.blocked


def test_profit_target_holds_for_the_day_after_pnl_slips_back() -> None:
    limits = RiskLimits(daily_profit_target=D("10000"))
    state = fresh_state(day_peak_pnl=D("10250"))

    verdict = check(entry(), limits, context("9800"), state)

    assert verdict.blocked_sentence == (
        "Daily profit target 10,000.00 reached: today's P&L peaked at 10,250.00 and is "
        "9,800.00 now; no new ENTRY today."
    )


# ---- EXIT orders pass every loss-based limit -----------------------------------------------


@pytest.mark.parametrize(
    ("limits", "pnl", "state"),
    [
        pytest.param(RiskLimits(daily_loss_limit=D("5000")), "-6000", fresh_state(), id="daily"),
        pytest.param(
            RiskLimits(max_loss=D("10000")),
            "-12000",
            fresh_state(max_loss_tripped_at=NOW),
            id="max-loss",
        ),
        pytest.param(TRAILING, "0", fresh_state(day_peak_pnl=D("4000")), id="trailing"),
        pytest.param(COOLDOWN, "-100", fresh_state(daily_breached_at=NOW), id="cooldown"),
        pytest.param(
            RiskLimits(daily_profit_target=D("10000")), "12000", fresh_state(), id="profit-target"
        ),
        pytest.param(
            RiskLimits(max_consecutive_losses=2),
            "0",
            fresh_state(consecutive_losses=5),
            id="consecutive-losses",
        ),
        pytest.param(
            RiskLimits(losing_days_for_cooldown=2),
            "0",
            fresh_state(losing_days=4),
            id="losing-days",
        ),
        pytest.param(RiskLimits(max_open_orders=1), "0", fresh_state(), id="open-orders"),
    ],
)
def test_exit_passes_a_tripped_loss_limit(limits: RiskLimits, pnl: str, state: RiskState) -> None:
    # Arrange: the same order as an ENTRY is blocked
    ctx = context(pnl, open_orders=5)
    assert check(entry(), limits, ctx, state).blocked
    # Act
    verdict = check(exit_order(), limits, ctx, state)
    # Assert
    assert verdict == RiskVerdict(None, None, [])


# ---- order rate: every order ---------------------------------------------------------------


def test_rate_limit_lets_the_nth_order_of_the_minute_pass_and_blocks_the_next() -> None:
    limits = RiskLimits(max_orders_per_minute=10)

    tenth = check(entry(), limits, context(orders_last_minute=9))
    eleventh = check(entry(), limits, context(orders_last_minute=10))

    assert not tenth.blocked
    assert eleventh.rule is RiskRule.ORDER_RATE
    assert eleventh.blocked_sentence == (
        "Order rate limit 10 per minute reached: 10 orders already went in the last 60 seconds."
    )


def test_rate_limit_blocks_an_exit_too() -> None:
    limits = RiskLimits(max_orders_per_minute=10)

    verdict = check(exit_order(), limits, context(orders_last_minute=10))

    assert verdict.rule is RiskRule.ORDER_RATE


def test_rate_limit_comes_before_the_loss_limits() -> None:
    limits = RiskLimits(max_orders_per_minute=1, daily_loss_limit=D("5000"))

    verdict = check(entry(), limits, context("-6000", orders_last_minute=1))

    assert verdict.rule is RiskRule.ORDER_RATE


# ---- size ----------------------------------------------------------------------------------


def test_quantity_exactly_at_the_max_passes_and_one_more_blocks() -> None:
    limits = RiskLimits(max_order_qty=1800)

    at_max = check(entry(quantity=1800), limits)
    over = check(entry(quantity=1801), limits)

    assert not at_max.blocked
    assert over.rule is RiskRule.ORDER_QTY
    assert over.blocked_sentence == ("Max order quantity 1,800 exceeded: this order is for 1,801.")


def test_limit_order_value_at_the_max_passes_and_one_paisa_over_blocks() -> None:
    limits = RiskLimits(max_order_value=D("500000"))

    at_max = check(entry(quantity=100, price="5000.00"), limits)
    over = check(entry(quantity=100, price="5000.01"), limits)

    assert not at_max.blocked
    assert over.rule is RiskRule.ORDER_VALUE
    assert over.blocked_sentence == (
        "Max order value 500,000.00 exceeded: this order is worth 500,001.00 (100 × 5,000.01)."
    )


@pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.SL_M])
def test_market_and_sl_m_orders_are_valued_at_the_last_price(order_type: OrderType) -> None:
    limits = RiskLimits(max_order_value=D("500000"))
    order = entry(quantity=100, order_type=order_type, trigger_price="4000")

    at_max = check(order, limits, context(last_price="5000"))
    over = check(order, limits, context(last_price="5000.05"))

    assert not at_max.blocked
    assert over.blocked_sentence == (
        "Max order value 500,000.00 exceeded: this order is worth 500,005.00 "
        "(100 × 5,000.05 at the last price)."
    )


def test_sl_m_without_a_last_price_is_valued_at_its_trigger() -> None:
    limits = RiskLimits(max_order_value=D("500000"))
    order = entry(quantity=100, order_type=OrderType.SL_M, trigger_price="5100")

    verdict = check(order, limits, context(last_price=None))

    assert verdict.blocked_sentence == (
        "Max order value 500,000.00 exceeded: this order is worth 510,000.00 "
        "(100 × 5,100.00 at its trigger price)."
    )


def test_market_order_without_a_last_price_passes_the_value_check_with_a_note() -> None:
    limits = RiskLimits(max_order_value=D("500000"))

    verdict = check(entry(order_type=OrderType.MARKET), limits, context(last_price=None))

    assert not verdict.blocked
    assert verdict.notes == [
        "Max order value 500,000.00 not checked: no last price for SBIN to value this MARKET order."
    ]


def test_size_limits_block_an_exit_too() -> None:
    limits = RiskLimits(max_order_qty=100, max_order_value=D("1000"))

    by_qty = check(exit_order(quantity=101), limits)
    by_value = check(exit_order(quantity=11, price="100"), limits)

    assert by_qty.rule is RiskRule.ORDER_QTY
    assert by_value.rule is RiskRule.ORDER_VALUE


def test_flatten_orders_are_never_blocked_by_size_rate_or_price() -> None:
    limits = RiskLimits(
        max_order_qty=1,
        max_order_value=D("1"),
        max_orders_per_minute=1,
        fat_finger_pct=D("1"),
    )
    ctx = context(orders_last_minute=50, last_price="50", is_flatten=True)

    by_flag = check(exit_order(quantity=5000, price="100"), limits, ctx)
    by_source = check(
        exit_order(quantity=5000, price="100", source=Source.FLATTEN),
        limits,
        replace(ctx, is_flatten=False),
    )

    assert by_flag == RiskVerdict(None, None, [])
    assert by_source == RiskVerdict(None, None, [])


def test_an_entry_marked_flatten_gets_no_exemption() -> None:
    limits = RiskLimits(max_order_qty=1)

    verdict = check(entry(quantity=2), limits, context(is_flatten=True))

    assert verdict.rule is RiskRule.ORDER_QTY


# ---- open orders ---------------------------------------------------------------------------


def test_open_orders_let_the_nth_pass_and_block_the_next() -> None:
    limits = RiskLimits(max_open_orders=20)

    nth = check(entry(), limits, context(open_orders=19))
    next_one = check(entry(), limits, context(open_orders=20))

    assert not nth.blocked
    assert next_one.rule is RiskRule.OPEN_ORDERS
    assert next_one.blocked_sentence == (
        "Max open orders 20 reached: 20 orders are already open at the broker."
    )


def test_open_orders_sentence_for_a_single_order() -> None:
    verdict = check(entry(), RiskLimits(max_open_orders=1), context(open_orders=1))

    assert verdict.blocked_sentence == (
        "Max open orders 1 reached: 1 order is already open at the broker."
    )


# ---- fat finger ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "blocked_sentence"),
    [
        ("1050.00", None),
        ("950.00", None),
        (
            "1050.05",
            "Fat-finger guard 5%: price 1,050.05 is 5.01% above the last price 1,000.00.",
        ),
        (
            "949.95",
            "Fat-finger guard 5%: price 949.95 is 5.01% below the last price 1,000.00.",
        ),
        (
            "10000.00",
            "Fat-finger guard 5%: price 10,000.00 is 900.00% above the last price 1,000.00.",
        ),
    ],
)
def test_fat_finger_passes_at_exactly_pct_and_blocks_just_past_on_both_sides(
    price: str, blocked_sentence: str | None
) -> None:
    limits = RiskLimits(fat_finger_pct=D("5"))

    verdict = check(entry(price=price), limits, context(last_price="1000.00"))

    assert verdict.blocked_sentence == blocked_sentence
    assert verdict.rule is (RiskRule.FAT_FINGER if blocked_sentence else None)


def test_fat_finger_guards_sl_prices_and_exit_orders() -> None:
    limits = RiskLimits(fat_finger_pct=D("5"))
    sl_exit = exit_order(order_type=OrderType.SL, price="1100", trigger_price="1090")

    verdict = check(sl_exit, limits, context(last_price="1000"))

    assert verdict.rule is RiskRule.FAT_FINGER


def test_fat_finger_ignores_market_orders() -> None:
    limits = RiskLimits(fat_finger_pct=D("5"))

    verdict = check(entry(order_type=OrderType.MARKET), limits, context(last_price="1"))

    assert not verdict.blocked


def test_fat_finger_without_a_last_price_passes_with_a_note() -> None:
    limits = RiskLimits(fat_finger_pct=D("2.5"))

    verdict = check(entry(price="123.45"), limits, context(last_price=None))

    assert not verdict.blocked
    assert verdict.notes == ["Fat-finger guard 2.5% not checked: no last price for SBIN."]


def test_notes_are_kept_when_a_later_rule_blocks() -> None:
    limits = RiskLimits(max_order_value=D("1"), max_open_orders=1)
    ctx = context(last_price=None, open_orders=1)

    verdict = check(entry(order_type=OrderType.MARKET), limits, ctx)

    assert verdict.rule is RiskRule.OPEN_ORDERS
    assert len(verdict.notes) == 1


# ---- every sentence names the limit, its value and the figure ------------------------------


@pytest.mark.parametrize(
    ("order", "limits", "ctx", "state", "words"),
    [
        (entry(), RiskLimits(max_orders_per_minute=7), context(orders_last_minute=8),
         fresh_state(), ["rate limit", "7", "8 orders"]),
        (entry(), RiskLimits(max_loss=D("9000")), context("-9100"), fresh_state(),
         ["Max loss", "9,000.00", "-9,100.00"]),
        (entry(), RiskLimits(daily_loss_limit=D("4000")), context("-4100"), fresh_state(),
         ["Daily loss limit", "4,000.00", "-4,100.00"]),
        (entry(), TRAILING, context("900"), fresh_state(day_peak_pnl=D("4200")),
         ["Trailing loss floor", "1,000.00", "900.00"]),
        (entry(), COOLDOWN, context("-300"), fresh_state(daily_breached_at=NOW),
         ["Cooldown", "30 minutes", "-300.00"]),
        (entry(), RiskLimits(max_consecutive_losses=4), context(),
         fresh_state(consecutive_losses=5), ["consecutive losses", "4", "5 closing trades"]),
        (entry(), RiskLimits(losing_days_for_cooldown=2), context(), fresh_state(losing_days=3),
         ["Losing-days", "2", "3 trading days"]),
        (entry(), RiskLimits(daily_profit_target=D("7000")), context("7500"), fresh_state(),
         ["profit target", "7,000.00", "7,500.00"]),
        (entry(quantity=60), RiskLimits(max_order_qty=50), context(), fresh_state(),
         ["quantity", "50", "60"]),
        (entry(quantity=60), RiskLimits(max_order_value=D("5000")), context(), fresh_state(),
         ["order value", "5,000.00", "6,000.00"]),
        (entry(), RiskLimits(max_open_orders=3), context(open_orders=4), fresh_state(),
         ["open orders", "3", "4 orders"]),
        (entry(price="120"), RiskLimits(fat_finger_pct=D("10")), context(), fresh_state(),
         ["Fat-finger", "10%", "120.00", "20.00%", "100.00"]),
    ],
)  # fmt: skip
def test_every_block_sentence_names_the_limit_its_value_and_the_figure(
    order: OrderCommand,
    limits: RiskLimits,
    ctx: OrderContext,
    state: RiskState,
    words: list[str],
) -> None:
    verdict = check(order, limits, ctx, state)

    sentence = verdict.blocked_sentence
    assert sentence is not None
    assert sentence[0].isupper()
    assert sentence.endswith(".")
    for word in words:
        assert word in sentence


# ---- the limits themselves -----------------------------------------------------------------


def test_limits_refuse_nonsense_with_every_problem_in_one_message() -> None:
    with pytest.raises(ValueError, match="Daily loss limit must be a positive") as caught:
        RiskLimits(daily_loss_limit=D("-1"), max_order_qty=0, trailing_loss_step=D("100"))

    message = str(caught.value)
    assert "Max order quantity must be a whole number above 0" in message
    assert "needs both its step and its giveback" in message


@pytest.mark.parametrize("share", ["0", "1", "1.2", "NaN"])
def test_limits_refuse_a_warning_share_outside_zero_to_one(share: str) -> None:
    with pytest.raises(ValueError, match="Warning share"):
        RiskLimits(warn_share=D(share))


def test_limits_refuse_a_max_loss_below_the_daily_limit() -> None:
    with pytest.raises(ValueError, match="kill switch would trip before entries stop"):
        RiskLimits(daily_loss_limit=D("5000"), max_loss=D("4000"))


def test_limits_built_well_have_no_problems() -> None:
    limits = RiskLimits(
        daily_loss_limit=D("5000"),
        max_loss=D("5000"),
        trailing_loss_step=D("2000"),
        trailing_giveback=D("3000"),
        warn_share=None,
    )

    assert limit_problems(limits) == []
