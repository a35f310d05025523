"""Both brokers' masters as one list, freeze quantities, a refresh that fails safe, the cache."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import Instrument, InstrumentCatalog
from trader_gui.domain.slicing import largest_slice
from trader_gui.persistence.instrument_files import load_bundled_instruments
from trader_gui.persistence.instrument_masters import (
    EXCHANGE_TOKEN,
    KITE,
    SHOONYA,
    MasterFileError,
    apply_freeze_quantities,
    cached_master_date,
    cached_master_paths,
    load_freeze_quantities,
    load_master,
    load_masters,
    merge_masters,
    merge_with_warnings,
    needs_refresh,
    prepare_refresh,
    refresh_catalog,
)
from trader_gui.persistence.master_common import skipped_summary

TODAY = date(2026, 11, 25)
NSE_HEADER = "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,"
FO_HEADER = (
    "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,"
)
KITE_HEADER = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange"


def write_master(folder: Path, name: str, *lines: str, zipped: bool = True) -> Path:
    text = "\n".join(lines) + "\n"
    if not zipped:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return path


@pytest.fixture
def masters(tmp_path: Path) -> list[Path]:
    """Shoonya's NSE and NFO files and Kite's CSV, overlapping on some contracts."""
    nse = write_master(
        tmp_path,
        "NSE_symbols.txt",
        NSE_HEADER,
        "NSE,26000,1,Nifty 50,NIFTY INDEX,INDEX,0,",
        "NSE,3045,1,SBIN,SBIN-EQ,EQ,5,",
        "NSE,2885,1,RELIANCE,RELIANCE-EQ,EQ,10,",
    )
    nfo = write_master(
        tmp_path,
        "NFO_symbols.txt",
        FO_HEADER,
        "NFO,43650,65,NIFTY,NIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,",
        "NFO,40001,65,NIFTY,NIFTY01DEC26C25500,01-DEC-2026,OPTIDX,CE,25500,0.05,",
        "NFO,41001,30,NIFTY BANK,BANKNIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,",
        "NFO,42001,750,IDEA,IDEA29DEC26F,29-DEC-2026,FUTSTK,XX,0,0.01,",
    )
    kite = write_master(
        tmp_path,
        "instruments.csv",
        KITE_HEADER,
        "779521,3045,SBIN,STATE BANK OF INDIA,812.55,,0.0,0.05,1,EQ,NSE,NSE",
        "408065,1594,INFY,INFOSYS,1610,,0.0,0.10,1,EQ,NSE,NSE",
        "12000,43650,NIFTY26DECFUT,NIFTY,26160.5,2026-12-29,0.0,0.10,65,FUT,NFO-FUT,NFO",
        "12001,40001,NIFTY26D0125500CE,NIFTY,0,2026-12-01,25500.0,0.05,65,CE,NFO-OPT,NFO",
        "12002,41001,BANKNIFTY26DECFUT,BANKNIFTY,0,2026-12-29,0.0,0.10,30,FUT,NFO-FUT,NFO",
        zipped=False,
    )
    return [nse, nfo, kite]


def by_symbol(instruments: list[Instrument]) -> dict[str, Instrument]:
    return {instrument.symbol: instrument for instrument in instruments}


# --- merging ---------------------------------------------------------------------------------


def test_a_contract_listed_by_both_brokers_carries_both_symbols_and_tokens(
    masters: list[Path],
) -> None:
    shoonya = [*load_master(masters[0]).instruments, *load_master(masters[1]).instruments]
    kite = load_master(masters[2]).instruments

    found = by_symbol(merge_masters(shoonya, kite))

    future = found["NIFTY29DEC26FUT"]
    assert future.broker_symbols == {SHOONYA: "NIFTY29DEC26F", KITE: "NIFTY26DECFUT"}
    assert future.tokens == {SHOONYA: "43650", KITE: "12000", EXCHANGE_TOKEN: "43650"}
    assert future.broker_symbol(SHOONYA) == "NIFTY29DEC26F"
    assert future.broker_symbol(KITE) == "NIFTY26DECFUT"
    assert future.reference_price == Decimal("26160.5")
    call = found["NIFTY01DEC2625500CE"]
    assert call.broker_symbols == {SHOONYA: "NIFTY01DEC26C25500", KITE: "NIFTY26D0125500CE"}
    sbin = found["SBIN"]
    assert sbin.broker_symbols == {SHOONYA: "SBIN-EQ", KITE: "SBIN"}
    assert sbin.tick_size == Decimal("0.05")
    assert sbin.name == "STATE BANK OF INDIA"
    assert found["BANKNIFTY29DEC26FUT"].broker_symbols == {
        SHOONYA: "BANKNIFTY29DEC26F",
        KITE: "BANKNIFTY26DECFUT",
    }


def test_a_contract_of_one_broker_only_is_kept_with_its_one_spelling(masters: list[Path]) -> None:
    shoonya = [*load_master(masters[0]).instruments, *load_master(masters[1]).instruments]
    kite = load_master(masters[2]).instruments

    found = by_symbol(merge_masters(shoonya, kite))

    assert sorted(found) == [
        "BANKNIFTY29DEC26FUT",
        "IDEA29DEC26FUT",
        "INFY",
        "NIFTY01DEC2625500CE",
        "NIFTY29DEC26FUT",
        "RELIANCE",
        "SBIN",
    ]
    assert found["RELIANCE"].broker_symbols == {SHOONYA: "RELIANCE-EQ"}
    assert found["INFY"].broker_symbols == {KITE: "INFY"}


def _future(lot: int = 65, tick: str = "0.10", **changes: object) -> Instrument:
    base = Instrument(
        symbol="NIFTY29DEC26FUT",
        exchange=Exchange.NFO,
        kind=InstrumentKind.FUT,
        underlying="NIFTY",
        lot_size=lot,
        tick_size=Decimal(tick),
        reference_price=Decimal(tick),
        expiry=date(2026, 12, 29),
        broker_symbols={SHOONYA: "NIFTY29DEC26F"},
        tokens={SHOONYA: "43650", EXCHANGE_TOKEN: "43650"},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _kite_future(lot: int = 65, tick: str = "0.10", **changes: object) -> Instrument:
    kite: dict[str, object] = {
        "broker_symbols": {KITE: "NIFTY26DECFUT"},
        "tokens": {KITE: "12000", EXCHANGE_TOKEN: "43650"},
    }
    return _future(lot, tick, **{**kite, **changes})


def test_the_same_exchange_token_is_the_same_contract_whatever_its_name() -> None:
    kite = _kite_future(symbol="NIFTY50X29DEC26FUT", underlying="NIFTY50X")

    merged, warnings = merge_with_warnings([_future()], [kite])

    assert [i.symbol for i in merged] == ["NIFTY29DEC26FUT"]
    assert merged[0].broker_symbols == {SHOONYA: "NIFTY29DEC26F", KITE: "NIFTY26DECFUT"}
    assert len(warnings) == 1
    assert "spelt differently" in warnings[0]


def test_a_lot_size_disagreement_leaves_kites_symbol_off_with_a_warning() -> None:
    merged, warnings = merge_with_warnings([_future(lot=65)], [_kite_future(lot=1)])

    assert len(merged) == 1
    assert merged[0].lot_size == 65
    assert merged[0].broker_symbols == {SHOONYA: "NIFTY29DEC26F"}
    assert warnings == [
        "1 contracts have another lot size at Kite; their Kite symbol was left off "
        "(e.g. NIFTY29DEC26FUT: 65 at Shoonya, 1 at Kite)"
    ]


def test_differing_ticks_keep_the_coarser_when_it_is_on_both_grids() -> None:
    merged, warnings = merge_with_warnings([_future(tick="0.05")], [_kite_future(tick="0.10")])

    assert merged[0].tick_size == Decimal("0.10")
    assert KITE in merged[0].broker_symbols
    assert "coarser is kept" in warnings[0]


def test_ticks_that_do_not_divide_leave_kites_symbol_off() -> None:
    merged, warnings = merge_with_warnings([_future(tick="0.05")], [_kite_future(tick="0.02")])

    assert merged[0].tick_size == Decimal("0.05")
    assert KITE not in merged[0].broker_symbols
    assert "does not divide" in warnings[0]


def test_the_same_symbol_for_two_exchange_numbers_is_not_merged() -> None:
    kite = _kite_future(tokens={KITE: "12000", EXCHANGE_TOKEN: "99999"})

    merged, warnings = merge_with_warnings([_future()], [kite])

    assert [i.broker_symbols for i in merged] == [{SHOONYA: "NIFTY29DEC26F"}]
    assert "share a symbol" in warnings[0]


def test_two_files_of_one_broker_disagreeing_on_a_contract_are_refused(tmp_path: Path) -> None:
    row = "NFO,40001,65,NIFTY,NIFTY01DEC26C25500,01-DEC-2026,OPTIDX,CE,25500,0.05,"
    first = write_master(tmp_path, "NFO_symbols.txt", FO_HEADER, row)
    other = tmp_path / "second"
    other.mkdir()
    second = write_master(other, "NFO_symbols.txt", FO_HEADER, row.replace(",65,", ",75,"))

    with pytest.raises(MasterFileError, match="NIFTY01DEC2625500CE has other terms"):
        load_masters([first, second], freeze_quantities={})


# --- freeze quantities -----------------------------------------------------------------------


def test_the_shipped_freeze_quantities_cover_the_indices() -> None:
    quantities = load_freeze_quantities()

    assert quantities["NIFTY"] == 1755
    assert quantities["BANKNIFTY"] == 600
    assert quantities["FINNIFTY"] == 1200
    assert quantities["MIDCPNIFTY"] == 2800
    assert quantities["SENSEX"] == 1000


def test_the_shipped_freeze_quantities_agree_with_the_bundled_list() -> None:
    quantities = load_freeze_quantities()

    for instrument in load_bundled_instruments():
        if instrument.freeze_qty is not None:
            assert quantities[instrument.underlying] == instrument.freeze_qty, instrument.symbol


def test_freeze_quantities_go_on_futures_and_options_only(masters: list[Path]) -> None:
    result = load_masters(masters)

    found = by_symbol(result.instruments)
    assert found["NIFTY29DEC26FUT"].freeze_qty == 1755
    assert found["NIFTY01DEC2625500CE"].freeze_qty == 1755
    assert found["BANKNIFTY29DEC26FUT"].freeze_qty == 600
    assert largest_slice(found["BANKNIFTY29DEC26FUT"]) == 600
    assert found["SBIN"].freeze_qty is None
    assert found["IDEA29DEC26FUT"].freeze_qty is None


def test_apply_freeze_quantities_replaces_nothing_else() -> None:
    future = _future()

    (applied,) = apply_freeze_quantities([future], {"NIFTY": 1755})

    assert applied == replace(future, freeze_qty=1755)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "underlying,freeze_qty,comment\nNIFTY,lots,\n",
            r"freeze_quantities.csv, line 2: .*'lots'",
        ),
        ("underlying,freeze_qty\nNIFTY,1755\nNIFTY,1800\n", "line 3: NIFTY is listed twice"),
        ("symbol,qty\nNIFTY,1755\n", "line 1: the header must name"),
    ],
)
def test_a_bad_freeze_file_is_refused_with_its_line(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "freeze_quantities.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(MasterFileError, match=match):
        load_freeze_quantities(path)


# --- refreshing the catalog ------------------------------------------------------------------


def test_a_good_refresh_replaces_the_catalog_and_says_how_many(masters: list[Path]) -> None:
    catalog = InstrumentCatalog(load_bundled_instruments())

    sentence = refresh_catalog(catalog, masters)

    assert sentence.startswith(
        "Loaded 7 instruments from NSE_symbols.txt.zip, NFO_symbols.txt.zip and instruments.csv"
    )
    assert "Left out 1 row (indices: 1)." in sentence
    assert len(catalog) == 7
    assert catalog.get("NFO", "NIFTY29DEC26FUT") is not None
    assert catalog.get("NSE", "ADANIENT") is None
    assert [i.symbol for i in catalog.search("NIFTY")] == ["NIFTY01DEC2625500CE", "NIFTY29DEC26FUT"]


def test_prepare_refresh_leaves_the_swap_to_the_caller(masters: list[Path]) -> None:
    catalog = InstrumentCatalog(load_bundled_instruments())

    refresh = prepare_refresh(catalog, masters)

    assert refresh.instruments is not None
    assert len(refresh.instruments) == 7
    assert refresh.sentence.startswith("Loaded 7 instruments")
    assert len(catalog) == 190


def test_the_sentence_names_the_main_reasons_rows_were_left_out() -> None:
    skips = {"indices": 40, "blank rows": 3, "NSE series GS": 9, "NSE series SM": 2, "x": 1}

    assert skipped_summary(skips, 3) == "indices: 40, NSE series GS: 9, other: 6"
    assert skipped_summary({"indices": 1}, 3) == "indices: 1"


def test_a_refresh_keeps_the_known_price_where_the_master_has_none(masters: list[Path]) -> None:
    catalog = InstrumentCatalog(load_bundled_instruments())
    bundled_reliance = catalog.get("NSE", "RELIANCE")
    assert bundled_reliance is not None

    refresh_catalog(catalog, masters)

    reliance = catalog.get("NSE", "RELIANCE")
    assert reliance is not None
    assert reliance.reference_price == bundled_reliance.reference_price
    assert reliance.broker_symbols == {SHOONYA: "RELIANCE-EQ"}


def test_a_failed_refresh_leaves_the_catalog_in_use_and_says_why(
    tmp_path: Path, masters: list[Path]
) -> None:
    catalog = InstrumentCatalog(load_bundled_instruments())
    before = catalog.all()
    broken = write_master(
        tmp_path,
        "BFO_symbols.txt",
        FO_HEADER,
        "BFO,859358,20,BSXOPT,SENSEX2612381200CE,03-DEC-2026,OPTIDX,CE,81200,0.05,",
        "BFO,859359,twenty,BSXOPT,SENSEX2612381300CE,03-DEC-2026,OPTIDX,CE,81300,0.05,",
    )

    sentence = refresh_catalog(catalog, [*masters, broken])

    assert sentence == (
        "Kept the 190 instruments in use: could not load BFO_symbols.txt.zip, line 3: "
        "LotSize 'twenty' is not a number."
    )
    assert catalog.all() == before


def test_a_refresh_from_nothing_usable_keeps_the_catalog(tmp_path: Path) -> None:
    catalog = InstrumentCatalog(load_bundled_instruments())
    only_indices = write_master(
        tmp_path, "NSE_symbols.txt", NSE_HEADER, "NSE,26000,1,Nifty 50,NIFTY INDEX,INDEX,0,"
    )

    assert (
        refresh_catalog(catalog, []) == "Kept the 190 instruments in use: no master file was given."
    )
    assert refresh_catalog(catalog, [only_indices]) == (
        "Kept the 190 instruments in use: NSE_symbols.txt.zip listed no instrument this "
        "program trades."
    )
    assert len(catalog) == 190


# --- the cache of the last good masters ------------------------------------------------------


def test_without_a_cache_a_refresh_is_needed(tmp_path: Path) -> None:
    assert needs_refresh(tmp_path / "cache", TODAY)
    assert cached_master_paths(tmp_path / "cache") == []
    assert cached_master_date(tmp_path / "cache") is None


def test_a_good_refresh_is_cached_with_its_date_and_reloads_the_same(
    tmp_path: Path, masters: list[Path]
) -> None:
    cache = tmp_path / "cache"
    catalog = InstrumentCatalog()

    refresh_catalog(catalog, masters, cache_dir=cache, today=TODAY)

    assert not needs_refresh(cache, TODAY)
    assert needs_refresh(cache, date(2026, 11, 26))
    assert cached_master_date(cache) == TODAY
    restarted = InstrumentCatalog()
    sentence = refresh_catalog(restarted, cached_master_paths(cache))
    assert sentence.startswith("Loaded 7 instruments")
    assert sorted(restarted.all(), key=lambda i: i.key) == sorted(
        catalog.all(), key=lambda i: i.key
    )


def test_a_failed_refresh_does_not_touch_the_cache(tmp_path: Path, masters: list[Path]) -> None:
    cache = tmp_path / "cache"
    refresh_catalog(InstrumentCatalog(), masters, cache_dir=cache, today=TODAY)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")

    sentence = refresh_catalog(
        InstrumentCatalog(), [broken], cache_dir=cache, today=date(2026, 11, 26)
    )

    assert sentence.startswith("Kept the 0 instruments in use: could not load broken.zip: ")
    assert cached_master_date(cache) == TODAY
    assert len(cached_master_paths(cache)) == 3


def test_a_damaged_cache_asks_for_a_refresh(tmp_path: Path, masters: list[Path]) -> None:
    cache = tmp_path / "cache"
    refresh_catalog(InstrumentCatalog(), masters, cache_dir=cache, today=TODAY)

    cached_master_paths(cache)[0].unlink()

    assert needs_refresh(cache, TODAY)
    assert cached_master_paths(cache) == []
    (cache / "instrument_masters" / "manifest.json").write_text("{not json", encoding="utf-8")
    assert needs_refresh(cache, TODAY)
