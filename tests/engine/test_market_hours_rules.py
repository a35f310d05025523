"""MarketHours picks the broker's rules and the tag: the sentences a trader reads in step 2."""

from __future__ import annotations

from datetime import datetime

import pytest
from clocks import FakeClock
from tickets import ticket

from trader_gui.domain.enums import Exchange, Product, Source, Tag
from trader_gui.domain.market_calendar import MarketStatus, UnknownBrokerError
from trader_gui.domain.market_time import IST
from trader_gui.engine.assembly import checks_market_hours
from trader_gui.engine.market_hours import MarketHours
from trader_gui.persistence.calendar_file import load_bundled_calendar
from trader_gui.settings import Settings

CALENDAR = load_bundled_calendar()
NIFTY_CE = {"symbol": "NIFTY01DEC2626000CE", "exchange": "NFO", "product": "NRML", "quantity": 65}


def hours_at(broker: str, *when: int) -> MarketHours:
    return MarketHours(CALENDAR, broker, FakeClock(datetime(2026, *when, tzinfo=IST)))


def test_shoonya_takes_no_amo_on_a_saturday_morning_and_says_when_it_does() -> None:
    clearance = hours_at("shoonya", 11, 28, 11).clearance(ticket(**NIFTY_CE))

    assert clearance.tag is Tag.MARKET_CLOSED
    assert clearance.sentence.startswith("NFO is closed (Saturday); Shoonya takes after-market")
    assert "from 16:00 to 09:10" in clearance.sentence
    assert "assumed, not confirmed with Shoonya" in clearance.sentence


def test_shoonya_takes_an_amo_on_a_weekday_evening() -> None:
    clearance = hours_at("shoonya", 11, 25, 19).clearance(ticket(**NIFTY_CE))

    assert clearance.amo
    assert clearance.tag is None


def test_zerodha_takes_an_amo_on_a_2026_holiday_shoonya_does_not() -> None:
    holi = (3, 3, 11)

    assert hours_at("kite", *holi).clearance(ticket()).amo
    refused = hours_at("shoonya", *holi).clearance(ticket())
    assert refused.tag is Tag.MARKET_CLOSED
    assert "(Holi)" in refused.sentence
    assert refused.sentence.endswith(
        "place it as an AMO from 16:00. NSE opens Wed 04 Mar 09:15 IST."
    )


def test_mcx_on_republic_day_is_closed_all_day() -> None:
    clearance = hours_at("shoonya", 1, 26, 11).clearance(
        ticket(symbol="CRUDEOIL", exchange=Exchange.MCX, product=Product.NRML)
    )

    assert clearance.tag is Tag.MARKET_CLOSED
    assert "Republic Day" in clearance.sentence


def test_a_flatten_exit_in_an_amo_window_is_refused_not_held() -> None:
    exit_ = ticket(source=Source.FLATTEN, execution_type="EXIT", side="SELL")

    clearance = hours_at("kite", 11, 28, 11).clearance(exit_)

    assert clearance.tag is Tag.MARKET_CLOSED
    assert not clearance.amo
    assert "not sent as an after-market order" in clearance.sentence


def test_the_kite_mis_cutoff_is_five_minutes_before_its_square_off() -> None:
    at_cutoff = hours_at("kite", 11, 25, 15, 15).clearance(ticket(product=Product.MIS))
    after = hours_at("kite", 11, 25, 15, 16).clearance(ticket(product=Product.MIS))

    assert at_cutoff.tag is None
    assert after.tag is Tag.MIS_CUTOFF
    assert "Zerodha squares off MIS at 15:20" in after.sentence


def test_states_and_square_off_for_the_status_bar_and_positions() -> None:
    hours = hours_at("kite", 11, 25, 10)

    nse, nfo = hours.states([Exchange.NSE, Exchange.NFO])

    assert nse.status is MarketStatus.OPEN
    assert nfo.status is MarketStatus.OPEN
    square_off = hours.square_off_at(Exchange.NFO, Product.MIS)
    assert square_off == datetime(2026, 11, 25, 15, 25, tzinfo=IST)
    assert hours.square_off_at(Exchange.NFO, Product.NRML) is None


def test_a_broker_the_calendar_does_not_know_is_refused_at_start() -> None:
    with pytest.raises(UnknownBrokerError, match="no rules for broker 'fake'"):
        MarketHours(CALENDAR, "fake", FakeClock())


def test_the_program_checks_the_hours_for_live_brokers_and_for_paper_in_session_mode() -> None:
    assert checks_market_hours(Settings(broker="kite"), "kite")
    assert checks_market_hours(Settings(broker="shoonya"), "shoonya")
    assert not checks_market_hours(Settings(), "paper")
    assert checks_market_hours(Settings(paper_session_mode=True), "paper")
    assert not checks_market_hours(Settings(keep_market_hours=False), "kite")
