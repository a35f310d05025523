"""What every broker's symbol master shares: reading the file, its rows, its numbers and names.

A broker publishes its full list of contracts every day (Shoonya as zipped text files per
exchange, Kite as one CSV). This module turns such a file into rows keyed by column name,
each with its line number, so a bad file is refused with the file, the line and the reason.
The broker-specific readers (`master_shoonya`, `master_kite`) turn rows into instruments.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import MONTH_ABBREVIATIONS, Instrument
from trader_gui.persistence.instrument_files import InstrumentFileError

SHOONYA = "shoonya"
"""The key of Shoonya's spelling in `Instrument.broker_symbols` and `Instrument.tokens`."""
KITE = "kite"
"""The key of Kite's spelling in `Instrument.broker_symbols` and `Instrument.tokens`."""
EXCHANGE_TOKEN = "exchange"
"""The key, in `Instrument.tokens`, of the exchange's own number for the contract.

Shoonya's token is the exchange's number; Kite has its own (`instrument_token`) and gives the
exchange's beside it (`exchange_token`). The same number in both masters is the same contract,
whatever each broker calls it, so the merge matches on it first.
"""

EXCHANGES: Mapping[str, Exchange] = {exchange.value: exchange for exchange in Exchange}
"""By name, without the enum's lookup machinery: called once per row of a 100,000-row file."""
KINDS: Mapping[str, InstrumentKind] = {kind.value: kind for kind in InstrumentKind}

MAX_ENTRY_BYTES = 512 * 1024 * 1024
"""The largest file read from a zip. Real masters are tens of megabytes; a bigger entry is a
damaged or hostile archive, and reading it would exhaust memory before any row is checked."""


class MasterFileError(InstrumentFileError):
    """A master that cannot be loaded: names the file and the line, so the trader can say which.

    It is an `InstrumentFileError`, so a caller that already handles a bad instrument file
    handles a bad master the same way: it keeps the list it has and shows the sentence.
    """

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(line, reason)
        self.source = source
        where = f"{source}, line {line}" if line > 0 else source
        self.args = (f"{where}: {reason}",)


@dataclass(frozen=True, slots=True)
class MasterLoadResult:
    """The instruments one master (or several, merged) gave, and what was left out and why.

    `skipped_rows` counts rows that were not instruments this program trades (blank
    placeholders, indices, bonds, other exchanges); `skipped_by_reason` says which. Warnings
    are things the trader may want to know that did not stop the load.
    """

    instruments: list[Instrument]
    skipped_rows: int
    warnings: list[str]
    broker: str = ""
    sources: tuple[str, ...] = ()
    skipped_by_reason: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MasterText:
    """The text of one master file; `source` names it in messages (`NFO_symbols.txt.zip`)."""

    source: str
    text: str
    warnings: tuple[str, ...] = ()


def read_master_texts(path: Path) -> list[MasterText]:
    """The text of a master file: a plain .txt/.csv, or every file inside a .zip.

    Whether it is a zip is read from its content, not its name: a download saved under the
    wrong name still loads, and a `.zip` that is not one (a truncated download, an error page)
    is refused as such rather than parsed as text.
    """
    name = path.name
    try:
        if zipfile.is_zipfile(path):
            return _zip_texts(path)
        if path.suffix.lower() == ".zip":
            raise MasterFileError(name, 0, "is not a readable zip archive (damaged download?)")
        return [_decode(name, path.read_bytes())]
    except OSError as error:
        raise MasterFileError(name, 0, f"cannot be read: {error.strerror or error}") from None


def _zip_texts(path: Path) -> list[MasterText]:
    texts: list[MasterText] = []
    try:
        with zipfile.ZipFile(path) as archive:
            entries = [
                info
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            ]
            if not entries:
                raise MasterFileError(path.name, 0, "the zip archive holds no file")
            for info in sorted(entries, key=lambda entry: entry.filename):
                source = path.name if len(entries) == 1 else f"{path.name}:{info.filename}"
                if info.file_size > MAX_ENTRY_BYTES:
                    raise MasterFileError(
                        source, 0, f"{info.file_size:,} bytes unpacked is too large for a master"
                    )
                texts.append(_decode(source, archive.read(info)))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        zlib.error,
        NotImplementedError,
    ) as error:
        raise MasterFileError(path.name, 0, f"the zip archive is damaged ({error})") from None
    return texts


def _decode(source: str, data: bytes) -> MasterText:
    """UTF-8 (with or without a byte-order mark); otherwise Latin-1 with a warning.

    Symbols are ASCII, so a stray byte can only be in a company name: refusing the whole
    master for it would leave the trader with yesterday's contracts for a cosmetic fault.
    """
    try:
        return MasterText(source, data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        warning = f"{source} is not UTF-8 (first at line {line}); read as Latin-1"
        return MasterText(source, data.decode("latin-1"), (warning,))


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its line in the file and its cells by canonical column name."""

    line: int
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


class CsvTable:
    """A master's CSV text: its header, then its data rows named by column, with line numbers."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self._reader = csv.reader(io.StringIO(text, newline=""))
        self.header = self._first_row()

    @property
    def line(self) -> int:
        """The line the reader last read (a quoted cell may span lines: its last one)."""
        return self._reader.line_num

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except csv.Error as error:
            raise MasterFileError(self.source, self.line, f"not valid CSV ({error})") from None

    def _first_row(self) -> list[str]:
        while (cells := self._next()) is not None:
            if any(cell.strip() for cell in cells):
                return [cell.strip() for cell in cells]
        raise MasterFileError(self.source, 1, "the file is empty, expected a header row")

    def rows(self, columns: Mapping[str, Sequence[str]], required: Sequence[str]) -> Iterator[Row]:
        """Data rows with cells named by canonical column (`columns`: name -> its spellings).

        Columns are found by name, case-insensitively, so a reordered or extra column
        (Shoonya's trailing comma makes an unnamed one; its MCX file adds `GNGD`) changes
        nothing. A row with fewer cells is padded with empty ones (trailing commas left off);
        a row with more cells than the header is refused unless the extra cells are empty,
        because a shifted row would put the strike where the lot size belongs.
        """
        lowered = [name.lower() for name in self.header]
        index: dict[str, int] = {}
        for canonical, spellings in columns.items():
            for spelling in spellings:
                if spelling.lower() in lowered:
                    index[canonical] = lowered.index(spelling.lower())
                    break
        missing = [column for column in required if column not in index]
        if missing:
            raise MasterFileError(
                self.source,
                self.line,
                f"the header lacks {', '.join(missing)}: it reads {','.join(self.header)}",
            )
        width = len(self.header)
        positions = list(index.items())
        while (cells := self._next()) is not None:
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                raise MasterFileError(
                    self.source,
                    self.line,
                    f"{len(cells)} cells, but the header has {width} columns",
                )
            named = {
                canonical: cells[position].strip() if position < len(cells) else ""
                for canonical, position in positions
            }
            yield Row(self.line, named)


class Skips:
    """Counts rows left out, by reason, so the trader sees what a master held but we ignore."""

    def __init__(self) -> None:
        self.by_reason: Counter[str] = Counter()

    def add(self, reason: str) -> None:
        self.by_reason[reason] += 1

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


def parse_decimal(column: str, text: str) -> Decimal:
    """A Decimal straight from the text (a float would turn 0.05 into 0.05000000000000000277)."""
    if not text:
        raise ValueError(f"{column} is empty")
    number = _decimal(text)
    if number is None:
        raise ValueError(f"{column} {text!r} is not a number")
    return number


@lru_cache(maxsize=4096)
def _decimal(text: str) -> Decimal | None:
    """Cached: a master repeats a few hundred distinct lots, ticks and strikes 100,000 times."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@lru_cache(maxsize=256)
def tidy_tick(tick: Decimal) -> Decimal:
    """A tick with at least two decimals (`0.10`, `5.00`), as prices are shown; 0.0025 as is."""
    exponent = tick.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return tick.normalize()
    return tick.quantize(Decimal("0.01"))


@lru_cache(maxsize=4096)
def tidy_strike(strike: Decimal) -> Decimal:
    """`24000` for `24000.0` (Kite) and `24000.00`; `102.5` keeps its half. Not `normalize()`,
    which writes 24000 as `2.4E+4`."""
    return (
        strike.quantize(Decimal(1)) if strike == strike.to_integral_value() else strike.normalize()
    )


def parse_lot(column: str, text: str) -> int:
    """A lot size: a whole number above zero (`75` or `75.0`, as some exports write it)."""
    number = parse_decimal(column, text)
    if number != number.to_integral_value() or number <= 0:
        raise ValueError(f"{column} {text!r} is not a whole number above zero")
    return int(number)


@lru_cache(maxsize=1024)
def parse_expiry(text: str) -> date:
    """An expiry as the masters write it: `29-DEC-2026` (Shoonya, any case) or `2026-12-29`.

    Months are matched against a literal table, not `strptime("%b")`, which follows the
    machine's locale and would fail on a Hindi or French desktop.
    """
    if not text:
        raise ValueError("Expiry is empty")
    parts = text.split("-")
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return date.fromisoformat(text)
        if len(parts) == 3 and parts[1].upper() in MONTH_ABBREVIATIONS:
            return date(
                int(parts[2]), MONTH_ABBREVIATIONS.index(parts[1].upper()) + 1, int(parts[0])
            )
    except ValueError:
        pass
    raise ValueError(f"Expiry {text!r} is not a date like 29-DEC-2026 or 2026-12-29")


UNDERLYING_ALIASES: Mapping[str, str] = {
    # NSE indices: the index's own name, Shoonya's and other Noren brokers' spellings.
    "NIFTY": "NIFTY",
    "NIFTY50": "NIFTY",
    "NIFTYINDEX": "NIFTY",
    "BANKNIFTY": "BANKNIFTY",
    "NIFTYBANK": "BANKNIFTY",
    "FINNIFTY": "FINNIFTY",
    "NIFTYFIN": "FINNIFTY",
    "NIFTYFINSERVICE": "FINNIFTY",
    "NIFTYFINANCIALSERVICES": "FINNIFTY",
    "MIDCPNIFTY": "MIDCPNIFTY",
    "NIFTYMIDSELECT": "MIDCPNIFTY",
    "NIFTYMIDCAPSELECT": "MIDCPNIFTY",
    "NIFTYNXT50": "NIFTYNXT50",
    "NIFTYNEXT50": "NIFTYNXT50",
    "INDIAVIX": "INDIAVIX",
    # BSE indices: Shoonya's BFO file names the contract series (BSXOPT), not the index.
    "SENSEX": "SENSEX",
    "BSXOPT": "SENSEX",
    "BSXFUT": "SENSEX",
    "BSESENSEX": "SENSEX",
    "S&PBSESENSEX": "SENSEX",
    "BANKEX": "BANKEX",
    "BKXOPT": "BANKEX",
    "BKXFUT": "BANKEX",
    "BSEBANKEX": "BANKEX",
    "S&PBSEBANKEX": "BANKEX",
    "SENSEX50": "SENSEX50",
    "BSESENSEX50": "SENSEX50",
    "S&PBSESENSEX50": "SENSEX50",
}
"""Every spelling of an index seen in the masters, keyed without spaces or hyphens, to the
underlying the common symbols use (`NIFTY BANK` and `BKXOPT` -> `BANKNIFTY`, `BANKEX`)."""


def common_underlying(name: str) -> str:
    """The common underlying of a broker's name for it: index aliases mapped, stocks as given.

    Only a whole-name match is mapped, so `BAJAJ-AUTO` stays `BAJAJ-AUTO`.
    """
    upper = " ".join(name.upper().split())
    return UNDERLYING_ALIASES.get(upper.replace(" ", "").replace("-", ""), upper)


def describe(instrument_name: str, expiry: date, strike: Decimal | None, kind: str) -> str:
    """A readable name for a derivative, as the bundled list writes it: `NIFTY 29 DEC 2026 FUT`."""
    day = f"{expiry.day:02d} {MONTH_ABBREVIATIONS[expiry.month - 1]} {expiry.year}"
    middle = f" {format(strike.normalize(), 'f')}" if strike is not None else ""
    return f"{instrument_name} {day}{middle} {kind}"


def skipped_summary(skips: Mapping[str, int], most: int | None = None) -> str:
    """`indices: 2, blank rows: 1`, most frequent first; past `most` reasons, one `other: N`."""
    ordered = sorted(skips.items(), key=lambda item: (-item[1], item[0]))
    shown = ordered if most is None or len(ordered) <= most else ordered[: most - 1]
    parts = [f"{reason}: {count:,}" for reason, count in shown]
    if len(shown) < len(ordered):
        parts.append(f"other: {sum(count for _, count in ordered[len(shown) :]):,}")
    return ", ".join(parts)


INSTRUMENT_TERMS = ("kind", "lot_size", "tick_size", "expiry", "strike")
"""What must agree for two rows of one contract to be the same contract."""


def terms(instrument: Instrument) -> tuple[object, ...]:
    return tuple(getattr(instrument, name) for name in INSTRUMENT_TERMS)


@dataclass(slots=True)
class Candidate:
    """A row turned into an instrument, kept until every row of the file has been seen.

    `rank` orders rows of one symbol that may both appear: an equity's EQ series (0) wins
    over its BE series (1), because EQ is where the stock trades normally.
    """

    instrument: Instrument
    line: int
    rank: int = 0


def keep_unique(
    chosen: dict[tuple[object, str], Candidate], candidate: Candidate, source: str, skips: Skips
) -> None:
    """Add a row, unless its contract is already listed.

    A repeat with the same terms is dropped quietly (a master repeats rows across weekly and
    monthly lists); the better-ranked of two series wins; a repeat with different terms (lot,
    tick, expiry, strike) refuses the file, because either could be the wrong one and an
    order sized by the wrong lot is refused by the exchange or, worse, filled.
    """
    key = candidate.instrument.key
    held = chosen.get(key)
    if held is None:
        chosen[key] = candidate
        return
    if held.rank != candidate.rank:
        if candidate.rank < held.rank:
            chosen[key] = candidate
        skips.add("BE rows of a symbol also in EQ")
        return
    if terms(held.instrument) == terms(candidate.instrument):
        skips.add("repeated rows")
        return
    symbol = candidate.instrument.symbol
    raise MasterFileError(
        source,
        candidate.line,
        f"{symbol} is listed again with other terms than on line {held.line} "
        f"(lot {held.instrument.lot_size} vs {candidate.instrument.lot_size}, "
        f"tick {held.instrument.tick_size} vs {candidate.instrument.tick_size})",
    )


def leading_letters(text: str) -> str:
    """`SENSEX` from `SENSEX26SEP91000PE`: the name part of a trading symbol."""
    end = 0
    while end < len(text) and (text[end].isalpha() or text[end] in "&-"):
        end += 1
    return text[:end]
