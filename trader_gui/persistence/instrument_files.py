"""Instrument lists in CSV: the bundled sample (resources/instruments.csv) and files like it.

One row per instrument, columns as in `COLUMNS`. A bad file is refused whole, with the line
and the reason, rather than loaded partly: a wrong lot size or tick would reach orders.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TextIO, TypeVar

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import Instrument
from trader_gui.resource_files import resource

COLUMNS = (
    "symbol",
    "exchange",
    "kind",
    "underlying",
    "lot_size",
    "tick_size",
    "reference_price",
    "freeze_qty",
    "expiry",
    "strike",
    "shoonya_symbol",
    "kite_symbol",
    "name",
)
BROKER_SYMBOL_COLUMNS: Mapping[str, str] = {"shoonya": "shoonya_symbol", "kite": "kite_symbol"}
BUNDLED_FILE = "instruments.csv"

_WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)
_Enum = TypeVar("_Enum", bound=StrEnum)


class InstrumentFileError(ValueError):
    """A malformed instrument file; the message names the line so the file can be fixed."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def load_instruments_csv(source: str | Path | TextIO) -> list[Instrument]:
    """Every instrument in a CSV file (a path or an open text file); blank rows are skipped."""
    if isinstance(source, str | Path):
        with Path(source).open(encoding="utf-8", newline="") as handle:
            return _read(handle)
    return _read(source)


def load_bundled_instruments() -> list[Instrument]:
    """The sample shipped in resources/, so the program works before any broker list is fetched."""
    return _read(io.StringIO(resource(BUNDLED_FILE).read_text(encoding="utf-8")))


def _read(handle: Iterable[str]) -> list[Instrument]:
    reader = csv.DictReader(handle)
    header = reader.fieldnames  # reads the first row
    if header is None:
        raise InstrumentFileError(1, "the file is empty, expected a header row")
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise InstrumentFileError(reader.line_num, f"header lacks {', '.join(missing)}")

    instruments: list[Instrument] = []
    first_line: dict[tuple[Exchange, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InstrumentFileError(line, f"more cells than the {len(header)} columns")
        if all(not (value or "").strip() for value in row.values()):
            continue
        try:
            instrument = _instrument(row)
        except ValueError as error:
            raise InstrumentFileError(line, str(error)) from None
        if instrument.key in first_line:
            raise InstrumentFileError(
                line,
                f"{instrument.exchange}:{instrument.symbol} repeats line {first_line[instrument.key]}",
            )
        first_line[instrument.key] = line
        instruments.append(instrument)
    return instruments


def _instrument(row: Mapping[str, str | None]) -> Instrument:
    def cell(column: str) -> str:
        value = row.get(column)
        return value.strip() if value else ""

    def required(column: str) -> str:
        value = cell(column)
        if not value:
            raise ValueError(f"{column} is empty")
        return value

    kind = _enum(InstrumentKind, "kind", required("kind"))
    expiry = _optional_date("expiry", cell("expiry"))
    strike = _optional_decimal("strike", cell("strike"))
    if kind is not InstrumentKind.EQ and expiry is None:
        raise ValueError(f"a {kind} needs an expiry")
    if kind.is_option and strike is None:
        raise ValueError(f"a {kind} option needs a strike")

    freeze_text = cell("freeze_qty")
    return Instrument(
        symbol=required("symbol"),
        exchange=_enum(Exchange, "exchange", required("exchange")),
        kind=kind,
        underlying=required("underlying"),
        lot_size=_positive_int("lot_size", required("lot_size")),
        tick_size=_positive_decimal("tick_size", required("tick_size")),
        reference_price=_positive_decimal("reference_price", required("reference_price")),
        freeze_qty=_positive_int("freeze_qty", freeze_text) if freeze_text else None,
        expiry=expiry,
        strike=strike,
        broker_symbols={
            broker: cell(column) for broker, column in BROKER_SYMBOL_COLUMNS.items() if cell(column)
        },
        name=cell("name"),
    )


def _enum(enum: type[_Enum], column: str, text: str) -> _Enum:
    try:
        return enum(text.upper())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{column} {text!r} is not one of {allowed}") from None


def _positive_int(column: str, text: str) -> int:
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ValueError(f"{column} {text!r} is not a whole number")
    number = int(text)
    if number <= 0:
        raise ValueError(f"{column} {text!r} is not above zero")
    return number


def _positive_decimal(column: str, text: str) -> Decimal:
    number = _optional_decimal(column, text)
    if number is None or number <= 0:
        raise ValueError(f"{column} {text!r} is not above zero")
    return number


def _optional_decimal(column: str, text: str) -> Decimal | None:
    """Decimal straight from the text: a float would turn 0.05 into 0.05000000000000000277."""
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column} {text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{column} {text!r} is not a number")
    return number


def _optional_date(column: str, text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a date like 2026-12-29") from None
