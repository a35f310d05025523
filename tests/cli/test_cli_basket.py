"""`trader-gui basket FILE`: every row through the six steps, or nothing at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cli_support import HEADER, Cli, assert_one_line_error

from trader_gui.domain.enums import Exchange
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.prices import is_on_tick

INFY_LIMIT = Decimal("1450.00")
"""A BUY limit well below INFY's reference price (1610): it rests at the broker."""

GOOD_BASKET = (
    f"{HEADER}\n"
    "SBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY\n"
    f"INFY,NSE,BUY,1,LIMIT,{INFY_LIMIT},,MIS,b1,ENTRY\n"
)


def result_rows(out: str) -> list[list[str]]:
    return [line.split("\t") for line in out.splitlines()]


def test_the_resting_limit_is_a_price_the_exchange_takes(catalog: InstrumentCatalog) -> None:
    """Guard for the basket below: the LIMIT must rest, not be refused or filled."""
    infy = catalog.get(Exchange.NSE, "INFY")
    assert infy is not None

    assert is_on_tick(INFY_LIMIT, infy.tick_size)
    assert (
        infy.reference_price * Decimal("0.8") < INFY_LIMIT < infy.reference_price * Decimal("0.95")
    )


def test_a_basket_runs_every_row_and_prints_one_line_each(cli: Cli) -> None:
    path = cli.basket(GOOD_BASKET)

    result = cli.run("basket", str(path), "--wait", "5")

    assert result.code == 0, result.err
    rows = result_rows(result.out)
    assert len(rows) == 2
    (market_id, market_status, market_tag, market_detail) = rows[0]
    (limit_id, limit_status, limit_tag, limit_detail) = rows[1]
    assert len(market_id) == 20
    assert len(limit_id) == 20
    assert market_id != limit_id
    assert (market_status, market_tag) == ("EXECUTED", "-")
    assert "COMPLETE" in market_detail
    assert "filled 1/1" in market_detail
    assert (limit_status, limit_tag) == ("SENT_TO_BROKER", "-")
    assert "OPEN" in limit_detail

    listed = cli.orders()

    assert [o["command_id"] for o in listed] == [market_id, limit_id]
    assert [o["status"] for o in listed] == ["EXECUTED", "SENT_TO_BROKER"]
    assert [o["symbol"] for o in listed] == ["SBIN", "INFY"]
    assert {o["source"] for o in listed} == {"BASKET"}
    assert {o["strategy"] for o in listed} == {"b1"}
    assert listed[0]["filled_qty"] == 1
    assert listed[0]["price"] is None
    assert listed[1]["price"] == str(INFY_LIMIT)
    assert listed[1]["broker_status"] == "OPEN"
    assert cli.orders("--status", "FAILED") == []
    assert [o["command_id"] for o in cli.orders("--status", "SENT_TO_BROKER")] == [limit_id]


def test_with_the_kill_switch_on_entries_are_blocked_and_exits_still_go(cli: Cli) -> None:
    cli.run("kill-switch", "on", "--reason", "too many losses")
    path = cli.basket(
        f"{HEADER}\nSBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY\nSBIN,NSE,SELL,1,MARKET,,,MIS,b1,EXIT\n"
    )

    result = cli.run("basket", str(path), "--wait", "5")

    assert result.code == 0, result.err
    entry, exit_ = result_rows(result.out)
    assert entry[1:3] == ["FAILED", "KILL_SWITCH_ACTIVE"]
    assert "Kill switch is on" in entry[3]
    assert "too many losses" in entry[3]
    assert exit_[1] == "EXECUTED"
    failed = cli.orders("--status", "FAILED")
    executed = cli.orders("--status", "EXECUTED")
    assert [(o["command_id"], o["tag"]) for o in failed] == [(entry[0], "KILL_SWITCH_ACTIVE")]
    assert [o["command_id"] for o in executed] == [exit_[0]]


BAD_BASKETS = {
    "missing column": (
        "symbol,exchange,side,quantity,order_type,product,strategy\nSBIN,NSE,BUY,1,MARKET,MIS,b1\n",
        "line 1: missing column(s) execution_type",
    ),
    "quantity not a number on line 3": (
        f"{HEADER}\nSBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY\nSBIN,NSE,BUY,abc,MARKET,,,MIS,b1,ENTRY\n",
        "line 3: Quantity must be a whole number, not 'abc'.",
    ),
    "unknown symbol on line 2": (
        f"{HEADER}\nNOSUCH,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY\nSBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY\n",
        "line 2: Unknown symbol NOSUCH on NSE.",
    ),
    "part of a lot on line 3": (
        f"{HEADER}\nSBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY\n"
        "NIFTY01DEC2625500CE,NFO,BUY,70,MARKET,,,NRML,b1,ENTRY\n",
        "line 3: Quantity 70 is not a whole number of lots",
    ),
    "price off the tick on line 2": (
        f"{HEADER}\nSBIN,NSE,BUY,1,LIMIT,900.03,,MIS,b1,ENTRY\n",
        "line 2: Price 900.03 is not on the tick",
    ),
    "unknown column": (
        f"{HEADER},note\nSBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY,x\n",
        "line 1: unknown column(s) note",
    ),
    "more cells than columns": (
        f"{HEADER}\nSBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY,extra\n",
        "line 2: more cells than columns",
    ),
    "empty file": ("", "line 1: missing column(s) symbol"),
    "header only": (f"{HEADER}\n", "no orders in the file"),
}


@pytest.mark.parametrize(("text", "reason"), BAD_BASKETS.values(), ids=BAD_BASKETS.keys())
def test_a_bad_basket_is_refused_whole_and_nothing_is_sent(
    cli: Cli, text: str, reason: str
) -> None:
    path = cli.basket(text)

    result = cli.run("basket", str(path), "--wait", "5")

    assert_one_line_error(result)
    assert result.code == 2
    assert str(path) in result.err
    assert reason in result.err
    assert result.out == ""
    assert cli.orders() == []
    assert not cli.paper_broker_file.exists()  # the broker was never even opened


def test_a_missing_basket_file_is_one_line(cli: Cli) -> None:
    missing = cli.home / "nowhere.csv"

    result = cli.run("basket", str(missing))

    assert_one_line_error(result)
    assert str(missing) in result.err
    assert "No such file" in result.err
    assert cli.orders() == []
