"""The bundled instrument sample and the CSV reader's handling of bad files."""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import Instrument, equity_tick_for_price
from trader_gui.domain.prices import is_on_tick
from trader_gui.persistence.instrument_files import (
    COLUMNS,
    InstrumentFileError,
    load_bundled_instruments,
    load_instruments_csv,
)

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MON = "(?P<mon>" + "|".join(MONTHS) + ")"
DDMMMYY = rf"(?P<dd>\d{{2}}){MON}(?P<yy>\d{{2}})"

EQUITY = re.compile(r"[A-Z][A-Z0-9&-]*")
FUTURE = re.compile(rf"(?P<u>[A-Z]+){DDMMMYY}FUT")
OPTION = re.compile(rf"(?P<u>[A-Z]+){DDMMMYY}(?P<strike>\d+)(?P<kind>CE|PE)")
SHOONYA_FUTURE = re.compile(rf"(?P<u>[A-Z]+){DDMMMYY}F")
SHOONYA_OPTION = re.compile(rf"(?P<u>[A-Z]+){DDMMMYY}(?P<cp>[CP])(?P<strike>\d+)")
KITE_FUTURE = re.compile(rf"(?P<u>[A-Z]+)(?P<yy>\d{{2}}){MON}FUT")
KITE_MONTHLY_OPTION = re.compile(
    rf"(?P<u>[A-Z]+)(?P<yy>\d{{2}}){MON}(?P<strike>\d+)(?P<kind>CE|PE)"
)
KITE_WEEKLY_OPTION = re.compile(
    r"(?P<u>[A-Z]+)(?P<yy>\d{2})(?P<m>[1-9OND])(?P<dd>\d{2})(?P<strike>\d+)(?P<kind>CE|PE)"
)

LOTS = {"NIFTY": 65, "BANKNIFTY": 30, "FINNIFTY": 60, "MIDCPNIFTY": 120}
FREEZE = {"NIFTY": 1755, "BANKNIFTY": 600, "FINNIFTY": 1200, "MIDCPNIFTY": 2800}
MONTHLY_EXPIRIES = {date(2026, 12, 29), date(2027, 1, 25)}  # 26 Jan 2027 is Republic Day


@pytest.fixture(scope="module")
def bundled() -> list[Instrument]:
    return load_bundled_instruments()


def _of_kind(instruments: list[Instrument], *kinds: InstrumentKind) -> list[Instrument]:
    return [instrument for instrument in instruments if instrument.kind in kinds]


def _assert_date_parts(match: re.Match[str], expiry: date | None) -> None:
    assert expiry is not None
    assert int(match["dd"]) == expiry.day
    assert MONTHS.index(match["mon"]) + 1 == expiry.month
    assert int(match["yy"]) == expiry.year % 100


def test_bundled_file_loads_with_unique_keys(bundled: list[Instrument]) -> None:
    assert len({instrument.key for instrument in bundled}) == len(bundled)
    counts = Counter(instrument.kind for instrument in bundled)
    assert counts[InstrumentKind.EQ] >= 45
    assert counts[InstrumentKind.FUT] == 8
    assert counts[InstrumentKind.CE] == counts[InstrumentKind.PE] == 3 * 21


def test_prices_are_decimals_on_their_tick(bundled: list[Instrument]) -> None:
    for instrument in bundled:
        assert isinstance(instrument.reference_price, Decimal)
        assert isinstance(instrument.tick_size, Decimal)
        assert instrument.reference_price > 0
        assert is_on_tick(instrument.reference_price, instrument.tick_size), instrument.symbol


def test_equities(bundled: list[Instrument]) -> None:
    equities = _of_kind(bundled, InstrumentKind.EQ)
    for equity in equities:
        assert equity.exchange is Exchange.NSE
        assert equity.lot_size == 1
        assert equity.freeze_qty is None
        assert equity.expiry is None
        assert equity.strike is None
        assert equity.underlying == equity.symbol
        assert equity.tick_size == equity_tick_for_price(equity.reference_price), equity.symbol
        assert EQUITY.fullmatch(equity.symbol)
        assert equity.broker_symbols == {"shoonya": f"{equity.symbol}-EQ", "kite": equity.symbol}
    ticks = {equity.tick_size for equity in equities}
    assert ticks == {Decimal(t) for t in ("0.01", "0.05", "0.10", "0.50", "1.00", "5.00")}
    symbols = {equity.symbol for equity in equities}
    assert {"RELIANCE", "SBIN", "M&M", "BAJAJ-AUTO"} <= symbols


def test_index_derivative_lots_and_freeze(bundled: list[Instrument]) -> None:
    derivatives = _of_kind(bundled, InstrumentKind.FUT, InstrumentKind.CE, InstrumentKind.PE)
    assert {d.underlying for d in derivatives} == set(LOTS)
    for derivative in derivatives:
        assert derivative.exchange is Exchange.NFO
        assert derivative.lot_size == LOTS[derivative.underlying]
        assert derivative.freeze_qty == FREEZE[derivative.underlying]
    nifty_options = [
        o
        for o in _of_kind(bundled, InstrumentKind.CE, InstrumentKind.PE)
        if o.underlying == "NIFTY"
    ]
    assert nifty_options
    assert all(option.freeze_qty == 1755 for option in nifty_options)


def test_futures(bundled: list[Instrument]) -> None:
    futures = _of_kind(bundled, InstrumentKind.FUT)
    for future in futures:
        assert future.tick_size == Decimal("0.10")
        assert future.strike is None
        assert future.expiry in MONTHLY_EXPIRIES
        match = FUTURE.fullmatch(future.symbol)
        assert match, future.symbol
        assert match["u"] == future.underlying
        _assert_date_parts(match, future.expiry)
        shoonya = SHOONYA_FUTURE.fullmatch(future.broker_symbols["shoonya"])
        assert shoonya
        assert shoonya["u"] == future.underlying
        _assert_date_parts(shoonya, future.expiry)
        assert future.broker_symbols["kite"] == (
            f"{future.underlying}{future.expiry:%y}{MONTHS[future.expiry.month - 1]}FUT"
        )
        assert KITE_FUTURE.fullmatch(future.broker_symbols["kite"])
    assert {(f.underlying, f.expiry) for f in futures} == {
        (u, e) for u in LOTS for e in MONTHLY_EXPIRIES
    }


def test_options(bundled: list[Instrument]) -> None:
    options = _of_kind(bundled, InstrumentKind.CE, InstrumentKind.PE)
    expiries = {(o.underlying, o.expiry) for o in options}
    assert expiries == {
        ("NIFTY", date(2026, 12, 1)),
        ("NIFTY", date(2026, 12, 29)),
        ("BANKNIFTY", date(2026, 12, 29)),
    }
    for option in options:
        assert option.tick_size == Decimal("0.05")
        assert isinstance(option.strike, Decimal)
        assert isinstance(option.expiry, date)
        assert option.expiry.weekday() == 1  # Tuesday
        strike = str(int(option.strike))
        assert option.strike == int(option.strike)

        match = OPTION.fullmatch(option.symbol)
        assert match, option.symbol
        assert (match["u"], match["strike"], match["kind"]) == (
            option.underlying,
            strike,
            option.kind.value,
        )
        _assert_date_parts(match, option.expiry)

        shoonya = SHOONYA_OPTION.fullmatch(option.broker_symbols["shoonya"])
        assert shoonya, option.broker_symbols["shoonya"]
        assert (shoonya["u"], shoonya["cp"], shoonya["strike"]) == (
            option.underlying,
            option.kind.value[0],
            strike,
        )
        _assert_date_parts(shoonya, option.expiry)

        kite = option.broker_symbols["kite"]
        if option.expiry in MONTHLY_EXPIRIES:
            kite_match = KITE_MONTHLY_OPTION.fullmatch(kite)
            assert kite_match, kite
            assert kite_match["mon"] == MONTHS[option.expiry.month - 1]
        else:
            kite_match = KITE_WEEKLY_OPTION.fullmatch(kite)
            assert kite_match, kite
            assert kite_match["m"] == "123456789OND"[option.expiry.month - 1]
            assert int(kite_match["dd"]) == option.expiry.day
        assert (kite_match["u"], kite_match["strike"], kite_match["kind"]) == (
            option.underlying,
            strike,
            option.kind.value,
        )
        assert int(kite_match["yy"]) == option.expiry.year % 100


def test_option_strikes_form_a_band_around_the_money(bundled: list[Instrument]) -> None:
    steps = {"NIFTY": 50, "BANKNIFTY": 100}
    by_series: dict[tuple[str, date | None], list[Decimal]] = {}
    for option in _of_kind(bundled, InstrumentKind.CE):
        assert option.strike is not None
        by_series.setdefault((option.underlying, option.expiry), []).append(option.strike)
    for (underlying, _expiry), strikes in by_series.items():
        strikes.sort()
        assert len(strikes) == 21
        gaps = {later - earlier for earlier, later in itertools.pairwise(strikes)}
        assert gaps == {steps[underlying]}


def test_known_spellings(bundled: list[Instrument]) -> None:
    by_symbol = {instrument.symbol: instrument for instrument in bundled}
    weekly = by_symbol["NIFTY01DEC2626000CE"]
    assert weekly.broker_symbols == {"shoonya": "NIFTY01DEC26C26000", "kite": "NIFTY26D0126000CE"}
    monthly = by_symbol["NIFTY29DEC2626000PE"]
    assert monthly.broker_symbols == {"shoonya": "NIFTY29DEC26P26000", "kite": "NIFTY26DEC26000PE"}
    future = by_symbol["NIFTY29DEC26FUT"]
    assert future.broker_symbols == {"shoonya": "NIFTY29DEC26F", "kite": "NIFTY26DECFUT"}


# --- reading files ------------------------------------------------------------------------------

HEADER = ",".join(COLUMNS)
GOOD_EQUITY = "SBIN,NSE,EQ,SBIN,1,0.05,965,,,,SBIN-EQ,SBIN,State Bank of India"
GOOD_OPTION = (
    "NIFTY01DEC2626000CE,NFO,CE,NIFTY,65,0.05,172.35,1755,2026-12-01,26000,"
    "NIFTY01DEC26C26000,NIFTY26D0126000CE,Nifty 50 01 DEC 2026 26000 CE"
)


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "instruments.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_a_path_a_string_and_an_open_file(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, GOOD_EQUITY, GOOD_OPTION)
    from_path = load_instruments_csv(path)
    assert load_instruments_csv(str(path)) == from_path
    assert load_instruments_csv(io.StringIO(path.read_text(encoding="utf-8"))) == from_path
    equity, option = from_path
    assert equity.tick_size == Decimal("0.05")
    assert equity.reference_price == Decimal("965")
    assert equity.freeze_qty is None
    assert option.expiry == date(2026, 12, 1)
    assert option.strike == Decimal("26000")
    assert option.freeze_qty == 1755
    assert option.broker_symbol("kite") == "NIFTY26D0126000CE"


def test_empty_broker_symbols_are_omitted(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, "TCS,NSE,EQ,TCS,1,0.10,3280,,,,,TCS,")
    (tcs,) = load_instruments_csv(path)
    assert tcs.broker_symbols == {"kite": "TCS"}
    assert tcs.broker_symbol("shoonya") == "TCS"
    assert tcs.name == ""


def test_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, "", GOOD_EQUITY, ",,,,,,,,,,,,", "  ", "", GOOD_OPTION, "")
    assert [i.symbol for i in load_instruments_csv(path)] == ["SBIN", "NIFTY01DEC2626000CE"]


def test_line_numbers_count_blank_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER, "", GOOD_EQUITY, "", "TCS,NSE,EQ,TCS,abc,0.10,3280,,,,,,")
    with pytest.raises(
        InstrumentFileError, match=r"^line 5: lot_size 'abc' is not a whole number$"
    ):
        load_instruments_csv(path)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("TCS,NSE,EQ,TCS,abc,0.10,3280,,,,,,", "lot_size 'abc' is not a whole number"),
        ("TCS,NSE,EQ,TCS,0,0.10,3280,,,,,,", "lot_size '0' is not above zero"),
        ("TCS,NSE,EQ,TCS,1.5,0.10,3280,,,,,,", "lot_size '1.5' is not a whole number"),
        ("TCS,NSX,EQ,TCS,1,0.10,3280,,,,,,", "exchange 'NSX' is not one of"),
        ("TCS,NSE,STOCK,TCS,1,0.10,3280,,,,,,", "kind 'STOCK' is not one of"),
        ("TCS,NSE,EQ,TCS,1,tick,3280,,,,,,", "tick_size 'tick' is not a number"),
        ("TCS,NSE,EQ,TCS,1,0.10,-5,,,,,,", "reference_price '-5' is not above zero"),
        ("TCS,NSE,EQ,TCS,1,0.10,NaN,,,,,,", "reference_price 'NaN' is not a number"),
        ("TCS,NSE,EQ,TCS,1,0.10,,,,,,,", "reference_price is empty"),
        (",NSE,EQ,TCS,1,0.10,3280,,,,,,", "symbol is empty"),
        ("TCS,NSE,EQ,TCS,1,0.10,3280,x,,,,,", "freeze_qty 'x' is not a whole number"),
        ("X,NFO,FUT,NIFTY,65,0.10,26000,,29-12-2026,,,,", "expiry '29-12-2026' is not a date"),
        ("X,NFO,FUT,NIFTY,65,0.10,26000,,,,,,", "a FUT needs an expiry"),
        ("X,NFO,CE,NIFTY,65,0.05,10,,2026-12-01,,,,", "a CE option needs a strike"),
        ("X,NFO,PE,NIFTY,65,0.05,10,,2026-12-01,2600O,,,", "strike '2600O' is not a number"),
        ("TCS,NSE,EQ,TCS,1,0.10,3280,,,,,,,extra", "more cells than the 13 columns"),
        (GOOD_EQUITY, "NSE:SBIN repeats line 2"),
    ],
)
def test_a_bad_row_names_its_line_and_reason(tmp_path: Path, row: str, reason: str) -> None:
    path = _write(tmp_path, HEADER, GOOD_EQUITY, row)
    with pytest.raises(InstrumentFileError, match=f"^line 3: {re.escape(reason)}") as caught:
        load_instruments_csv(path)
    assert caught.value.line == 3
    assert isinstance(caught.value, ValueError)


def test_a_header_without_a_column_is_refused(tmp_path: Path) -> None:
    header = HEADER.replace(",lot_size", "")
    with pytest.raises(InstrumentFileError, match=r"^line 1: header lacks lot_size$"):
        load_instruments_csv(_write(tmp_path, header, GOOD_EQUITY))


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InstrumentFileError, match=r"^line 1: the file is empty"):
        load_instruments_csv(path)


def test_a_header_only_file_has_no_instruments(tmp_path: Path) -> None:
    assert load_instruments_csv(_write(tmp_path, HEADER)) == []
