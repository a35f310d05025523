"""Reading each broker's symbol master, in the layouts the brokers publish, traps included."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import Instrument
from trader_gui.persistence.instrument_files import InstrumentFileError
from trader_gui.persistence.instrument_masters import (
    EXCHANGE_TOKEN,
    KITE,
    SHOONYA,
    MasterFileError,
    MasterLoadResult,
    common_underlying,
    load_master,
    tick_sizes_in_paise,
)

NSE_HEADER = "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,"
FO_HEADER = (
    "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,"
)
MCX_HEADER = "Exchange,Token,LotSize,GNGD,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,"
KITE_HEADER = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange"


def write_master(folder: Path, name: str, *lines: str, zipped: bool = True) -> Path:
    """A master as the broker publishes it: `NSE_symbols.txt` inside `NSE_symbols.txt.zip`."""
    text = "\n".join(lines) + "\n"
    if not zipped:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return path


def by_symbol(result: MasterLoadResult) -> dict[str, Instrument]:
    return {instrument.symbol: instrument for instrument in result.instruments}


def nse_lines(sbin: str, reliance: str, bosch: str) -> list[str]:
    return [
        NSE_HEADER,
        "NSE,26000,1,Nifty 50,NIFTY INDEX,INDEX,0,",
        f"NSE,3045,1,SBIN,SBIN-EQ,EQ,{sbin},",
        ",,,,,,,",
        "",
        f"NSE,2885,1,RELIANCE,RELIANCE-EQ,EQ,{reliance},",
        f"NSE,2475,1,BOSCHLTD,BOSCHLTD-EQ,EQ,{bosch},",
    ]


# --- Shoonya: the tick-size unit ------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "ticks"),
    [
        pytest.param("paise", ("5", "10", "500"), id="paise-as-shoonya-cash-files"),
        pytest.param("rupees", ("0.05", "0.10", "5.00"), id="rupees-as-other-noren-files"),
    ],
)
def test_nse_ticks_read_the_same_in_paise_and_in_rupees(
    tmp_path: Path, spelling: str, ticks: tuple[str, str, str]
) -> None:
    path = write_master(tmp_path, "NSE_symbols.txt", *nse_lines(*ticks))

    result = load_master(path)

    found = by_symbol(result)
    assert {symbol: found[symbol].tick_size for symbol in found} == {
        "SBIN": Decimal("0.05"),
        "RELIANCE": Decimal("0.10"),
        "BOSCHLTD": Decimal("5.00"),
    }, spelling


def test_an_nse_equity_keeps_the_plain_symbol_and_shoonyas_spelling_and_token(
    tmp_path: Path,
) -> None:
    path = write_master(tmp_path, "NSE_symbols.txt", *nse_lines("5", "10", "500"))

    result = load_master(path)

    sbin = by_symbol(result)["SBIN"]
    assert sbin.exchange is Exchange.NSE
    assert sbin.kind is InstrumentKind.EQ
    assert sbin.lot_size == 1
    assert sbin.broker_symbols == {SHOONYA: "SBIN-EQ"}
    assert sbin.tokens == {SHOONYA: "3045", EXCHANGE_TOKEN: "3045"}
    assert result.broker == SHOONYA
    assert result.skipped_by_reason == {"indices": 1, "blank rows": 2}
    assert result.skipped_rows == 3


@pytest.mark.parametrize(
    ("exchange", "ticks", "expected"),
    [
        (Exchange.NSE, ["5", "10", "1"], True),
        (Exchange.NSE, ["0.05", "10"], False),
        (Exchange.BSE, ["5.00", "1"], True),
        (Exchange.NFO, ["5"], True),
        (Exchange.NFO, ["0.05", "0.10"], False),
        (Exchange.MCX, ["1", "10"], False),
        (Exchange.NSE, ["0", "0"], False),
        (Exchange.NSE, [], False),
    ],
)
def test_the_paise_rule(exchange: Exchange, ticks: list[str], expected: bool) -> None:
    assert tick_sizes_in_paise(exchange, [Decimal(tick) for tick in ticks]) is expected


def test_a_file_mixing_paise_and_rupees_is_refused_at_the_odd_line(tmp_path: Path) -> None:
    path = write_master(tmp_path, "NSE_symbols.txt", *nse_lines("0.05", "0.10", "500"))

    with pytest.raises(MasterFileError, match=r"NSE_symbols.txt.zip, line 7: TickSize 500"):
        load_master(path)


def test_mcx_whole_rupee_ticks_stay_rupees(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "MCX_symbols.txt",
        MCX_HEADER,
        "MCX,574822,100,0.1,SILVER100,SILVER10031JUL26,31-JUL-2026,FUTCOM,XX,0,1,",
        "MCX,472790,100,1,CRUDEOIL,CRUDEOIL16DEC26C5600,16-DEC-2026,OPTFUT,CE,5600,0.10,",
    )

    found = by_symbol(load_master(path))

    silver = found["SILVER10031JUL26FUT"]
    assert silver.tick_size == Decimal("1.00")
    assert silver.lot_size == 100
    assert silver.broker_symbols == {SHOONYA: "SILVER10031JUL26"}
    crude = found["CRUDEOIL16DEC265600CE"]
    assert crude.kind is InstrumentKind.CE
    assert crude.exchange is Exchange.MCX
    assert crude.tick_size == Decimal("0.10")


# --- Shoonya: equities -----------------------------------------------------------------------


def test_nse_series_eq_and_be_are_kept_eq_first_and_bonds_skipped(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "NSE_symbols.txt",
        NSE_HEADER,
        "NSE,240,1,AAKASH,AAKASH-BE,BE,1,",
        "NSE,999,1,TCS,TCS-BE,BE,10,",
        "NSE,11536,1,TCS,TCS-EQ,EQ,10,",
        "NSE,6833,1,1018GS2026,1018GS2026-GS,GS,1,",
        "NSE,14256,1,AARTIPP,AARTIPP-E1,E1,1,",
    )

    result = load_master(path)

    found = by_symbol(result)
    assert sorted(found) == ["AAKASH", "TCS"]
    assert found["AAKASH"].broker_symbols == {SHOONYA: "AAKASH-BE"}
    assert found["TCS"].broker_symbols == {SHOONYA: "TCS-EQ"}
    assert found["TCS"].tokens[SHOONYA] == "11536"
    assert result.skipped_by_reason == {
        "BE rows of a symbol also in EQ": 1,
        "NSE series GS (only EQ and BE are traded)": 1,
        "NSE series E1 (only EQ and BE are traded)": 1,
    }


def test_bse_equities_in_paise_with_debt_groups_skipped(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "BSE_symbols.txt",
        NSE_HEADER,
        "BSE,500325,1,RELIANCE,RELIANCE,A,10,",
        "BSE,500112,1,SBIN,SBIN,A,5,",
        "BSE,999123,1,1190PFL28,1190PFL28,F,1,",
    )

    result = load_master(path)

    found = by_symbol(result)
    assert sorted(found) == ["RELIANCE", "SBIN"]
    assert found["RELIANCE"].exchange is Exchange.BSE
    assert found["RELIANCE"].tick_size == Decimal("0.10")
    assert found["SBIN"].tick_size == Decimal("0.05")
    assert result.skipped_by_reason == {"BSE group F (debt)": 1}


# --- Shoonya: derivatives --------------------------------------------------------------------


def test_nfo_futures_and_options_get_common_symbols_from_a_plain_file(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "NFO_symbols.txt",
        FO_HEADER,
        "NFO,43650,65,NIFTY,NIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,-0.01,0.10,",
        "NFO,40001,65,NIFTY,NIFTY01DEC26C25500,01-DEC-2026,OPTIDX,CE,25500,0.05,",
        "NFO,40002,65,NIFTY,NIFTY01DEC26P25500,01-Dec-2026,OPTIDX,PE,25500.00,0.05,",
        "NFO,156871,900,ZYDUSLIFE,ZYDUSLIFE29SEP26P102.5,29-SEP-2026,OPTSTK,PE,102.5,0.05,",
        zipped=False,
    )

    found = by_symbol(load_master(path))

    future = found["NIFTY29DEC26FUT"]
    assert future.kind is InstrumentKind.FUT
    assert future.expiry == date(2026, 12, 29)
    assert future.strike is None
    assert future.tick_size == Decimal("0.10")
    assert future.lot_size == 65
    assert future.broker_symbols == {SHOONYA: "NIFTY29DEC26F"}
    call = found["NIFTY01DEC2625500CE"]
    assert call.strike == Decimal(25500)
    assert call.underlying == "NIFTY"
    assert call.broker_symbols == {SHOONYA: "NIFTY01DEC26C25500"}
    assert "NIFTY01DEC2625500PE" in found
    assert found["ZYDUSLIFE29SEP26102.5PE"].strike == Decimal("102.5")


def test_nfo_ticks_in_paise_are_converted_too(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "NFO_symbols.txt",
        FO_HEADER,
        "NFO,43650,65,NIFTY,NIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,10,",
        "NFO,40001,65,NIFTY,NIFTY01DEC26C25500,01-DEC-2026,OPTIDX,CE,25500,5,",
    )

    found = by_symbol(load_master(path))

    assert found["NIFTY29DEC26FUT"].tick_size == Decimal("0.10")
    assert found["NIFTY01DEC2625500CE"].tick_size == Decimal("0.05")


@pytest.mark.parametrize(
    ("broker_name", "common"),
    [
        ("NIFTY 50", "NIFTY"),
        ("Nifty 50", "NIFTY"),
        ("NIFTY INDEX", "NIFTY"),
        ("NIFTY BANK", "BANKNIFTY"),
        ("NIFTY FIN SERVICE", "FINNIFTY"),
        ("NIFTY MID SELECT", "MIDCPNIFTY"),
        ("NIFTY NEXT 50", "NIFTYNXT50"),
        ("BSXOPT", "SENSEX"),
        ("BKXFUT", "BANKEX"),
        ("BAJAJ-AUTO", "BAJAJ-AUTO"),
        ("M&M", "M&M"),
    ],
)
def test_index_names_map_to_the_common_underlying(broker_name: str, common: str) -> None:
    assert common_underlying(broker_name) == common


def test_index_names_spelt_the_long_way_give_the_same_contracts(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "NFO_symbols.txt",
        FO_HEADER,
        "NFO,1,30,NIFTY BANK,BANKNIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,",
        "NFO,2,60,NIFTY FIN SERVICE,FINNIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,",
        "NFO,3,120,NIFTY MID SELECT,MIDCPNIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,",
        "NFO,4,65,NIFTY 50,NIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,",
    )

    found = by_symbol(load_master(path))

    assert sorted(found) == [
        "BANKNIFTY29DEC26FUT",
        "FINNIFTY29DEC26FUT",
        "MIDCPNIFTY29DEC26FUT",
        "NIFTY29DEC26FUT",
    ]
    assert found["BANKNIFTY29DEC26FUT"].underlying == "BANKNIFTY"


def test_bfo_contract_codes_become_the_index(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "BFO_symbols.txt",
        FO_HEADER,
        "BFO,859358,20,BSXOPT,SENSEX2612381200CE,03-DEC-2026,OPTIDX,CE,81200,0.05,",
        "BFO,833613,30,BKXFUT,BANKEX26DECFUT,29-DEC-2026,FUTIDX,XX,0,0.05,",
        "BFO,870001,20,SXNEWOPT,SENSEXNEW26DEC5000PE,29-DEC-2026,OPTIDX,PE,5000,0.05,",
    )

    result = load_master(path)

    found = by_symbol(result)
    sensex = found["SENSEX03DEC2681200CE"]
    assert sensex.exchange is Exchange.BFO
    assert sensex.underlying == "SENSEX"
    assert sensex.broker_symbols == {SHOONYA: "SENSEX2612381200CE"}
    assert found["BANKEX29DEC26FUT"].lot_size == 30
    assert "SENSEXNEW29DEC265000PE" in found
    assert any("SXNEWOPT" in warning for warning in result.warnings)


def test_currency_rows_are_skipped_not_refused(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "CDS_symbols.txt",
        "Exchange,Token,LotSize,Precision,Multiplier,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,",
        "CDS,17274,1,4,1000,USDJPY,USDJPY29DEC26P141,29-DEC-2026,OPTCUR,PE,141,0.01,",
    )

    result = load_master(path)

    assert result.instruments == []
    assert result.skipped_by_reason == {"CDS (exchange not traded here)": 1}


# --- Shoonya: files that must be refused -----------------------------------------------------

GOOD_FO_ROW = "NFO,40001,65,NIFTY,NIFTY01DEC26C25500,01-DEC-2026,OPTIDX,CE,25500,0.05,"


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (
            "NFO,40009,abc,NIFTY,NIFTY01DEC26C25600,01-DEC-2026,OPTIDX,CE,25600,0.05,",
            "LotSize 'abc'",
        ),
        (
            "NFO,40009,65,NIFTY,NIFTY01DEC26C25600,31-FOO-2026,OPTIDX,CE,25600,0.05,",
            "Expiry '31-FOO-2026'",
        ),
        (
            "NFO,40009,65,NIFTY,NIFTY01DEC26C25600,01-DEC-2026,OPTIDX,CE,,0.05,",
            "StrikePrice is empty",
        ),
        (
            "NFO,40009,65,NIFTY,NIFTY01DEC26F,01-DEC-2026,FUTIDX,CE,0,0.05,",
            "OptionType 'CE', not XX",
        ),
        ("NFO,40009,65,NIFTY,NIFTY01DEC26C25600,01-DEC-2026,OPTIDX,CE,25600,0.05,,7,", "13 cells"),
        (
            "NFO,40009,65,NIFTY,NIFTY01DEC26C25600,01-DEC-2026,OPTIDX,CE,25600,five,",
            "TickSize 'five'",
        ),
    ],
)
def test_a_malformed_row_refuses_the_file_naming_file_and_line(
    tmp_path: Path, bad_row: str, reason: str
) -> None:
    path = write_master(tmp_path, "NFO_symbols.txt", FO_HEADER, GOOD_FO_ROW, "", bad_row)

    with pytest.raises(InstrumentFileError) as caught:
        load_master(path)

    assert isinstance(caught.value, MasterFileError)
    assert caught.value.source == "NFO_symbols.txt.zip"
    assert caught.value.line == 4
    assert reason in str(caught.value)
    assert str(caught.value).startswith("NFO_symbols.txt.zip, line 4: ")


def test_a_contract_listed_twice_with_other_terms_is_refused(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "NFO_symbols.txt",
        FO_HEADER,
        GOOD_FO_ROW,
        GOOD_FO_ROW,
        GOOD_FO_ROW.replace(",65,", ",75,"),
    )

    with pytest.raises(MasterFileError, match=r"line 4: NIFTY01DEC2625500CE .* line 2"):
        load_master(path)


def test_a_repeated_identical_row_is_dropped(tmp_path: Path) -> None:
    path = write_master(tmp_path, "NFO_symbols.txt", FO_HEADER, GOOD_FO_ROW, GOOD_FO_ROW)

    result = load_master(path)

    assert len(result.instruments) == 1
    assert result.skipped_by_reason == {"repeated rows": 1}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html>503 Service Unavailable</html>", "not a readable zip"),
        (b"", "not a readable zip"),
    ],
)
def test_a_zip_that_is_not_one_is_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "NSE_symbols.txt.zip"
    path.write_bytes(content)

    with pytest.raises(MasterFileError, match=reason):
        load_master(path)


def test_an_empty_zip_an_empty_file_and_a_foreign_header_are_refused(tmp_path: Path) -> None:
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w"):
        pass
    empty = write_master(tmp_path, "NSE_symbols.txt", "", zipped=False)
    foreign = write_master(tmp_path, "other.csv", "symbol,price", "SBIN,812", zipped=False)

    with pytest.raises(MasterFileError, match="holds no file"):
        load_master(empty_zip)
    with pytest.raises(MasterFileError, match="line 1: the file is empty"):
        load_master(empty)
    with pytest.raises(MasterFileError, match=r"neither a Shoonya symbol file .* nor a Kite"):
        load_master(foreign)
    with pytest.raises(MasterFileError, match="cannot be read"):
        load_master(tmp_path / "missing.txt")


def test_a_header_without_a_needed_column_is_refused(tmp_path: Path) -> None:
    path = write_master(
        tmp_path, "NSE_symbols.txt", "Exchange,Token,Symbol,TradingSymbol,Instrument,TickSize,"
    )

    with pytest.raises(MasterFileError, match="line 1: the header lacks LotSize"):
        load_master(path)


def test_a_latin1_company_name_does_not_refuse_the_file(tmp_path: Path) -> None:
    path = tmp_path / "instruments.csv"
    path.write_bytes(
        (KITE_HEADER + "\n").encode()
        + "779521,3045,SBIN,STATE BANK OF INDIA É,0,,0,0.05,1,EQ,NSE,NSE\n".encode("latin-1")
    )

    result = load_master(path)

    assert [instrument.symbol for instrument in result.instruments] == ["SBIN"]
    assert any("not UTF-8" in warning for warning in result.warnings)


# --- Kite --------------------------------------------------------------------------------------

KITE_ROWS = (
    KITE_HEADER,
    "779521,3045,SBIN,STATE BANK OF INDIA,812.55,,0.0,0.05,1,EQ,NSE,NSE",
    "1234,240,AAKASH-BE,AAKASH EXPORTS,0,,0.0,0.01,1,EQ,NSE,NSE",
    "4567,6833,1018GS2026-GS,GOI LOAN 10.18% 2026,0,,0.0,0.01,1,EQ,NSE,NSE",
    "4268801,60,BAJAJ-AUTO,BAJAJ AUTO,0,,0.0,0.50,1,EQ,NSE,NSE",
    "256265,26000,NIFTY 50,NIFTY 50,0,,0.0,0.0,0,EQ,INDICES,NSE",
    '12000,43650,NIFTY26DECFUT,"NIFTY",26160.5,2026-12-29,0.0,0.10,65,FUT,NFO-FUT,NFO',
    "12001,40001,NIFTY26D0125500CE,NIFTY,0,2026-12-01,25500.0,0.05,65,CE,NFO-OPT,NFO",
    "12002,40002,NIFTY26D0125500PE,NIFTY,0,2026-12-01,25500.0,0.05,65,PE,NFO-OPT,NFO",
    "13000,859358,SENSEX2612381200CE,SENSEX,0,2026-12-03,81200.0,0.05,20,CE,BFO-OPT,BFO",
    "14000,1001,USDINR26DECFUT,USDINR,0,2026-12-29,0.0,0.0025,1,FUT,CDS-FUT,CDS",
    ",,,,,,,,,,,",
)


@pytest.mark.parametrize("zipped", [False, True], ids=["plain", "zipped"])
def test_kite_csv_gives_common_symbols_with_kites_spelling_and_token(
    tmp_path: Path, zipped: bool
) -> None:
    path = write_master(tmp_path, "instruments.csv", *KITE_ROWS, zipped=zipped)

    result = load_master(path)

    found = by_symbol(result)
    assert sorted(found) == [
        "AAKASH",
        "BAJAJ-AUTO",
        "NIFTY01DEC2625500CE",
        "NIFTY01DEC2625500PE",
        "NIFTY29DEC26FUT",
        "SBIN",
        "SENSEX03DEC2681200CE",
    ]
    sbin = found["SBIN"]
    assert sbin.broker_symbols == {KITE: "SBIN"}
    assert sbin.tokens == {KITE: "779521", EXCHANGE_TOKEN: "3045"}
    assert sbin.reference_price == Decimal("812.55")
    assert sbin.name == "STATE BANK OF INDIA"
    assert found["AAKASH"].broker_symbols == {KITE: "AAKASH-BE"}
    call = found["NIFTY01DEC2625500CE"]
    assert call.broker_symbols == {KITE: "NIFTY26D0125500CE"}
    assert call.strike == Decimal(25500)
    assert str(call.strike) == "25500"
    assert call.reference_price == call.tick_size == Decimal("0.05")
    assert found["NIFTY29DEC26FUT"].reference_price == Decimal("26160.5")
    assert found["SENSEX03DEC2681200CE"].exchange is Exchange.BFO
    assert result.broker == KITE
    assert result.skipped_by_reason == {
        "indices": 1,
        "CDS (exchange not traded here)": 1,
        "NSE series GS (only EQ and BE are traded)": 1,
        "blank rows": 1,
    }


def test_kite_index_names_map_like_shoonyas(tmp_path: Path) -> None:
    path = write_master(
        tmp_path,
        "instruments.csv",
        KITE_HEADER,
        "1,1,BANKNIFTY26DECFUT,NIFTY BANK,0,2026-12-29,0,0.10,30,FUT,NFO-FUT,NFO",
        zipped=False,
    )

    assert [i.symbol for i in load_master(path).instruments] == ["BANKNIFTY29DEC26FUT"]


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("2,2,NIFTY26DECFUT,NIFTY,0,29/12/2026,0,0.10,65,FUT,NFO-FUT,NFO", "Expiry '29/12/2026'"),
        ("2,2,NIFTY26D0125600CE,NIFTY,0,2026-12-01,0,0.05,65,CE,NFO-OPT,NFO", "strike '0'"),
        ("2,2,SBIN,SBI,0,,0,0.05,1,FUT,NSE,NSE", "instrument_type FUT on exchange NSE"),
        ("2,2,SBIN,SBI,0,,0,0.05,0,EQ,NSE,NSE", "lot_size '0'"),
    ],
)
def test_a_malformed_kite_row_refuses_the_file_with_its_line(
    tmp_path: Path, bad_row: str, reason: str
) -> None:
    path = write_master(
        tmp_path, "instruments.csv", KITE_ROWS[0], KITE_ROWS[1], bad_row, zipped=False
    )

    with pytest.raises(MasterFileError, match=r"^instruments.csv, line 3: ") as caught:
        load_master(path)

    assert reason in str(caught.value)
