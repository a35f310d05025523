"""The adapters' broker-symbol maps follow a catalog whose list the daily masters replaced:
an order or a position in a contract listed today comes back under its common symbol."""

from __future__ import annotations

from dataclasses import replace

from trader_gui.brokers.kite_translate import KiteSymbols
from trader_gui.brokers.noren_translate import SymbolMap
from trader_gui.domain.enums import Exchange
from trader_gui.domain.instruments import Instrument, InstrumentCatalog
from trader_gui.persistence.instrument_files import load_bundled_instruments

NEW = "NIFTY29DEC2699000CE"


def catalog_with_a_new_contract() -> tuple[InstrumentCatalog, list[Instrument]]:
    instruments = load_bundled_instruments()
    template = next(i for i in instruments if i.exchange is Exchange.NFO and i.strike)
    listed_today = replace(
        template,
        symbol=NEW,
        broker_symbols={"shoonya": "NIFTY29DEC26C99000", "kite": "NIFTY26DEC99000CE"},
    )
    return InstrumentCatalog(instruments), [*instruments, listed_today]


def test_shoonyas_map_knows_a_contract_listed_after_it_was_built() -> None:
    catalog, today = catalog_with_a_new_contract()
    symbols = SymbolMap(catalog)
    assert symbols.common_symbol(Exchange.NFO, "NIFTY29DEC26C99000") == "NIFTY29DEC26C99000"

    catalog.replace_all(today)

    assert symbols.common_symbol(Exchange.NFO, "NIFTY29DEC26C99000") == NEW


def test_kites_map_knows_a_contract_listed_after_it_was_built() -> None:
    catalog, today = catalog_with_a_new_contract()
    symbols = KiteSymbols(catalog)
    assert symbols.to_common(Exchange.NFO, "NIFTY26DEC99000CE") == "NIFTY26DEC99000CE"

    catalog.replace_all(today)

    assert symbols.to_common(Exchange.NFO, "NIFTY26DEC99000CE") == NEW
    assert symbols.to_kite(Exchange.NFO, NEW) == "NIFTY26DEC99000CE"
