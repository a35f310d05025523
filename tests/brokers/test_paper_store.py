"""The paper broker's state survives close, restart and SIGKILL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from paper_support import OPTION, START, FakeClock, make_broker, ticket

from trader_gui.brokers.base import BrokerUnavailable
from trader_gui.brokers.paper import PaperConfig, PaperFault
from trader_gui.brokers.paper_store import PaperStateError
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Side

TESTS_DIR = Path(__file__).parent


def test_reopening_the_file_finds_orders_positions_and_prices(tmp_path: Path) -> None:
    path = str(tmp_path / "paper.sqlite")
    clock = FakeClock()
    broker = make_broker(clock, state_path=path)
    filled = broker.place_order(ticket(quantity=10, tag="FILLED"))
    resting = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00", tag="RESTING"))
    broker.faults.inject(PaperFault.TIMEOUT_AFTER_ACCEPT)
    with pytest.raises(BrokerUnavailable):
        broker.place_order(ticket(OPTION, quantity=65, tag="LOSTREPLY"))
    clock.advance(0.3)
    broker.set_price("NSE", "ITC", "333.00")
    book = broker.order_book()
    positions = broker.positions()
    funds = broker.funds()
    broker.close()

    reopened = make_broker(clock, state_path=path)

    assert reopened.order_book() == book
    assert [o.tag for o in book] == ["FILLED", "RESTING", "LOSTREPLY"]
    assert reopened.positions() == positions
    assert reopened.funds() == funds
    assert reopened.quotes([(Exchange.NSE, "ITC")]) == {(Exchange.NSE, "ITC"): Decimal("333.00")}
    assert [f.order_id for f in reopened.fills()] == [filled, book[2].broker_order_id]
    assert reopened.place_order(ticket()) == "25112600000004"
    reopened.cancel_order(resting)
    reopened.close()


def test_open_orders_keep_working_after_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "paper.sqlite")
    clock = FakeClock()
    broker = make_broker(clock, state_path=path)
    order_id = broker.place_order(ticket(OPTION, quantity=25 * 65))
    clock.advance(0.3)
    broker.order_book()
    broker.close()

    reopened = make_broker(clock, state_path=path)
    clock.advance(0.6)

    (order,) = reopened.order_book()
    assert (order.broker_order_id, order.state, order.filled_qty) == (
        order_id,
        BrokerState.COMPLETE,
        1625,
    )
    reopened.close()


def test_an_account_keeps_its_capital(tmp_path: Path) -> None:
    path = str(tmp_path / "paper.sqlite")
    make_broker(FakeClock(), state_path=path).close()

    richer = make_broker(
        FakeClock(), state_path=path, config=PaperConfig(capital=Decimal(5), volatility=0.0)
    )

    assert richer.funds().capital == Decimal(1_000_000)
    richer.close()


def test_the_file_uses_wal_and_records_its_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite"
    make_broker(FakeClock(), state_path=str(path)).close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    conn.close()


def test_a_file_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()

    with pytest.raises(PaperStateError, match="schema 99"):
        make_broker(FakeClock(), state_path=str(path))


def test_a_killed_program_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    """SIGKILL right after a place whose reply was lost: the order is on file."""
    path = tmp_path / "paper.sqlite"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(TESTS_DIR)!r})
        from paper_support import OPTION, FakeClock, make_broker, ticket
        from trader_gui.brokers.base import BrokerUnavailable
        from trader_gui.brokers.paper import PaperFault
        from trader_gui.domain.enums import Side

        broker = make_broker(FakeClock(), state_path={str(path)!r})
        broker.place_order(ticket(quantity=10, tag="BEFOREKILL"))
        broker.faults.inject(PaperFault.TIMEOUT_AFTER_ACCEPT)
        try:
            broker.place_order(ticket(OPTION, side=Side.SELL, quantity=65, tag="TIMEDOUT"))
        except BrokerUnavailable:
            pass
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )

    result = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)

    assert result.returncode == -9
    clock = FakeClock(START)
    reopened = make_broker(clock, state_path=str(path))
    clock.advance(1)
    book = reopened.order_book()
    assert [(o.tag, o.side, o.state) for o in book] == [
        ("BEFOREKILL", Side.BUY, BrokerState.COMPLETE),
        ("TIMEDOUT", Side.SELL, BrokerState.COMPLETE),
    ]
    reopened.close()


def test_the_book_read_between_changes_is_the_book_read_after_a_restart(tmp_path: Path) -> None:
    """Every read of the book (entries are kept between reads until their order changes)
    equals what a broker reopened on the file reads at the same moment."""
    path = str(tmp_path / "paper.sqlite")
    clock = FakeClock()
    broker = make_broker(clock, state_path=path)
    big = broker.place_order(ticket(OPTION, quantity=25 * 65, tag="BIG"))
    resting = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00", tag="REST"))
    cancel = broker.place_order(ticket(order_type=OrderType.LIMIT, price="301.00", tag="CANCEL"))
    broker.place_order(ticket(quantity=10_000_000, tag="NOMARGIN"))
    steps = [
        lambda: clock.advance(0.3),  # the first part of BIG fills
        lambda: broker.modify_order(resting, price=Decimal("310.00")),
        lambda: broker.cancel_order(cancel),
        lambda: clock.advance(0.3),
        lambda: broker.set_price("NSE", "ITC", "309.00"),  # REST fills
        lambda: clock.advance(5),  # BIG completes
    ]
    for step in steps:
        before = broker.order_book()
        step()
        book = broker.order_book()
        broker.close()
        broker = make_broker(clock, state_path=path)

        assert broker.order_book() == book
        assert book != before
    states = {o.tag: (o.state, o.filled_qty) for o in broker.order_book()}
    assert states == {
        "BIG": (BrokerState.COMPLETE, 25 * 65),
        "REST": (BrokerState.COMPLETE, 10),
        "CANCEL": (BrokerState.CANCELLED, 0),
        "NOMARGIN": (BrokerState.REJECTED, 0),
    }
    assert broker.order_book()[0].broker_order_id == big
    broker.close()
