"""Kite's instruments master through the adapter and the official SDK, from the wire fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kite_fake_server import (
    KiteFakeServer,
    kite_server,  # noqa: F401 - a fixture
)

from trader_gui.brokers.base import BrokerUnavailable
from trader_gui.brokers.kite import KiteBroker
from trader_gui.domain.enums import Exchange
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.persistence.instrument_masters import KITE, load_master

KITE_CSV = (
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,"
    "lot_size,instrument_type,segment,exchange\n"
    "779521,3045,SBIN,STATE BANK OF INDIA,812.5,,0.0,0.05,1,EQ,NSE,NSE\n"
    "12345678,48215,NIFTY26DEC24000CE,NIFTY,0.0,2026-12-29,24000.0,0.05,65,CE,NFO-OPT,NFO\n"
    "256265,1024,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\n"
)


@pytest.fixture
def broker(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
) -> Iterator[KiteBroker]:
    adapter = KiteBroker(
        catalog,
        api_key=kite_server.api_key,
        access_token=kite_server.access_token,
        client_id=kite_server.user_id,
        root=kite_server.root,
        timeout_s=3.0,
    )
    yield adapter
    adapter.close()


def test_the_master_comes_back_as_a_csv_the_master_reader_loads(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    kite_server.instruments_csv = KITE_CSV

    text = broker.instruments_csv()
    path = tmp_path / "instruments.csv"
    path.write_text(text, encoding="utf-8")
    result = load_master(path)

    symbols = {(i.exchange, i.symbol): i for i in result.instruments}
    call = symbols[(Exchange.NFO, "NIFTY29DEC2624000CE")]
    assert call.broker_symbol(KITE) == "NIFTY26DEC24000CE"
    assert call.lot_size == 65
    assert (Exchange.NSE, "SBIN") in symbols
    assert result.skipped_by_reason == {"indices": 1}
    assert ("GET", "/instruments") in kite_server.requests


def test_a_master_the_sdk_cannot_read_is_a_broker_failure_in_words(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.instruments_csv = KITE_CSV.replace("812.5", "not-a-price")

    with pytest.raises(BrokerUnavailable, match="Kite's reply could not be read"):
        broker.instruments_csv()
