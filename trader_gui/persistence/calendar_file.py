"""The market calendar file (resources/market_calendar.toml): read, checked, made a calendar.

A bad file is refused whole, with the line and the key path of the first fault
(`line 52: holidays[3].date: ...`), rather than loaded partly: a holiday lost to a typo would
let orders go to a shut exchange. Unknown keys are faults too, for the same reason: a
misspelt `closd` must not quietly drop the exchanges it lists.

tomllib gives values but not where they were, so a small scanner maps key paths to lines
(headers, `key = value` lines and the items of multi-line arrays); a key it cannot place is
reported at the line of its nearest enclosing key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from trader_gui.domain.enums import Exchange
from trader_gui.domain.market_calendar import (
    AmoRule,
    BrokerRules,
    DatedSessions,
    ExchangeHours,
    Holiday,
    MarketCalendar,
    Phase,
    Segment,
    Session,
    SpecialSession,
    SquareOffRule,
    TimeWindow,
)
from trader_gui.resource_files import resource

BUNDLED_FILE = "market_calendar.toml"
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DEFAULT_MIS_ENTRY_MARGIN_MINUTES = 5
MAX_MINUTES = 600

_Enum = TypeVar("_Enum", bound=StrEnum)
_T = TypeVar("_T")


class CalendarFileError(ValueError):
    """A malformed calendar file; the message names the line and the key to fix."""

    def __init__(self, key: str, reason: str, line: int | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        what = f"{key}: " if key else ""
        super().__init__(f"{where}{what}{reason}")
        self.key = key
        self.reason = reason
        self.line = line


def load_calendar(source: str | Path) -> MarketCalendar:
    """The calendar in a TOML file; CalendarFileError if the file is not a valid calendar."""
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CalendarFileError("", f"{path.name} is not UTF-8 text ({error.reason})") from None
    return parse_calendar(text)


def load_bundled_calendar() -> MarketCalendar:
    """The calendar shipped in resources/: sessions, 2026 holidays, broker rules."""
    return parse_calendar(resource(BUNDLED_FILE).read_text(encoding="utf-8"))


def parse_calendar(text: str) -> MarketCalendar:
    """A calendar from TOML text, every value checked."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found.group(1)) if found else None
        reason = message[: found.start()].strip() if found else message
        raise CalendarFileError("", f"not valid TOML: {reason}", line) from None
    return _Reader(text).calendar(data)


# ---- where each key is ---------------------------------------------------------------------


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_KEY_LINE = re.compile(r"^([A-Za-z0-9_\-.\"' ]+?)\s*=\s*(.*)$")
_HEADER = re.compile(r"^(\[\[?)\s*([^\]]+?)\s*\]\]?")


def _key_parts(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


def _without_strings(text: str) -> str:
    """The text with its quoted strings and comment removed, for counting brackets."""
    bare = _STRINGS.sub('""', text)
    return bare.split("#", 1)[0]


def _top_level_tables(value: str) -> int:
    """How many inline tables begin at the top level of an array's text on one line."""
    depth, count = 0, 0
    for char in value:
        if char in "[{":
            if char == "{" and depth == 1:
                count += 1
            depth += 1
        elif char in "]}":
            depth -= 1
    return count


def line_index(text: str) -> dict[str, int]:
    """Key path (`holidays[3].date`, `exchanges.NSE.sessions[1]`) to its line, best effort."""
    index: dict[str, int] = {}
    arrays_of_tables: dict[str, int] = {}
    table = ""
    open_array: str | None = None
    array_depth = 0
    array_items = 0
    in_long_string = False

    def record(path: str, line: int) -> None:
        index.setdefault(path, line)

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if in_long_string:
            if '"""' in stripped or "'''" in stripped:
                in_long_string = False
            continue
        if open_array is not None:
            bare = _without_strings(stripped)
            for char in bare:
                if char == "{" and array_depth == 1:
                    record(f"{open_array}[{array_items}]", number)
                    array_items += 1
                if char in "[{":
                    array_depth += 1
                elif char in "]}":
                    array_depth -= 1
            if array_depth <= 0:
                open_array = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(stripped)
        if header:
            parts = _key_parts(header.group(2))
            is_array = header.group(1) == "[["
            path = ""
            for position, part in enumerate(parts):
                path = f"{path}.{part}" if path else part
                plain = re.sub(r"\[\d+\]", "", path)
                last = position == len(parts) - 1
                if last and is_array:
                    arrays_of_tables[plain] = arrays_of_tables.get(plain, 0) + 1
                if plain in arrays_of_tables:
                    path = f"{path}[{arrays_of_tables[plain] - 1}]"
            table = path
            record(table, number)
            continue
        key_line = _KEY_LINE.match(stripped)
        if not key_line:
            continue
        path = ".".join([table, *_key_parts(key_line.group(1))]).lstrip(".")
        record(path, number)
        value = key_line.group(2).strip()
        if value.startswith(('"""', "'''")) and value.count(value[:3]) == 1:
            in_long_string = True
        elif value.startswith("["):
            bare = _without_strings(value)
            depth = bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")
            items = _top_level_tables(bare)
            for item in range(items):
                record(f"{path}[{item}]", number)
            if depth > 0:
                open_array, array_depth, array_items = path, depth, items
    return index


# ---- reading and checking ------------------------------------------------------------------


class _Reader:
    """Turns the parsed TOML into the domain's calendar, checking each value where it is."""

    def __init__(self, text: str) -> None:
        self._lines = line_index(text)

    def line_of(self, key: str) -> int | None:
        path = key
        while path:
            if path in self._lines:
                return self._lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None

    def fail(self, key: str, reason: str) -> CalendarFileError:
        return CalendarFileError(key, reason, self.line_of(key))

    # -- shapes --

    def table(
        self,
        key: str,
        value: object,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
    ) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, not {_kind(value)}")
        required = tuple(required)
        allowed = set(required) | set(optional)
        for name in value:
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(_join(key, name), f"unknown key (expected one of: {known})")
        for name in required:
            if name not in value:
                raise self.fail(key, f"lacks the key {name!r}")
        return value

    def items(self, key: str, value: object, *, allow_empty: bool = True) -> list[object]:
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list, not {_kind(value)}")
        if not value and not allow_empty:
            raise self.fail(key, "must not be empty")
        return value

    def text(self, key: str, value: object, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be text in quotes, not {_kind(value)}")
        if not allow_empty and not value.strip():
            raise self.fail(key, "must not be empty")
        return value.strip()

    def flag(self, key: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {_kind(value)}")
        return value

    def whole(self, key: str, value: object, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, not {_kind(value)}")
        if not low <= value <= high:
            raise self.fail(key, f"must be from {low} to {high}, not {value}")
        return value

    def clock(self, key: str, value: object) -> time:
        if not isinstance(value, time) or value.tzinfo is not None:
            raise self.fail(key, f"must be a time of day like 09:15:00 (IST), not {_kind(value)}")
        return value

    def day(self, key: str, value: object) -> date:
        if type(value) is not date:
            raise self.fail(key, f"must be a date like 2026-01-26, not {_kind(value)}")
        return value

    def member(self, key: str, value: object, kind: type[_Enum]) -> _Enum:
        allowed = ", ".join(member.value for member in kind)
        if not isinstance(value, str):
            raise self.fail(key, f"must be one of {allowed}, not {_kind(value)}")
        try:
            return kind(value)
        except ValueError:
            raise self.fail(key, f"must be one of {allowed}, not {value!r}") from None

    def exchanges(self, key: str, value: object) -> frozenset[Exchange]:
        found: list[Exchange] = []
        for position, item in enumerate(self.items(key, value)):
            exchange = self.member(f"{key}[{position}]", item, Exchange)
            if exchange in found:
                raise self.fail(f"{key}[{position}]", f"{exchange} is listed twice")
            found.append(exchange)
        return frozenset(found)

    # -- the calendar --

    def calendar(self, data: Mapping[str, object]) -> MarketCalendar:
        top = self.table(
            "", data, ("exchanges",), ("meta", "holidays", "special_sessions", "brokers")
        )
        meta = self.table("meta", top.get("meta", {}), (), ("holiday_years", "source", "notes"))
        years = self._years(meta)
        source = self.text("meta.source", meta.get("source", ""), allow_empty=True)
        if "notes" in meta:
            self.text("meta.notes", meta["notes"], allow_empty=True)
        hours = self._exchanges(top["exchanges"])
        holidays = self._holidays(top.get("holidays", []), years)
        special = self._special_sessions(top.get("special_sessions", []))
        brokers = self._brokers(top.get("brokers", {}))
        return MarketCalendar(hours, holidays, special, brokers, holiday_years=years, source=source)

    def _years(self, meta: Mapping[str, object]) -> frozenset[int]:
        key = "meta.holiday_years"
        years: set[int] = set()
        for position, item in enumerate(self.items(key, meta.get("holiday_years", []))):
            year = self.whole(f"{key}[{position}]", item, 2000, 2100)
            if year in years:
                raise self.fail(f"{key}[{position}]", f"{year} is listed twice")
            years.add(year)
        return frozenset(years)

    def _exchanges(self, value: object) -> list[ExchangeHours]:
        names = tuple(exchange.value for exchange in Exchange)
        table = self.table("exchanges", value, names)
        return [self._exchange(Exchange(name), table[name]) for name in names]

    def _exchange(self, exchange: Exchange, value: object) -> ExchangeHours:
        key = f"exchanges.{exchange}"
        table = self.table(key, value, ("weekdays", "sessions"), ("dated",))
        weekdays: set[int] = set()
        for position, item in enumerate(
            self.items(f"{key}.weekdays", table["weekdays"], allow_empty=False)
        ):
            item_key = f"{key}.weekdays[{position}]"
            if not isinstance(item, str) or item.upper() not in WEEKDAYS:
                raise self.fail(item_key, f"must be one of {', '.join(WEEKDAYS)}, not {item!r}")
            if WEEKDAYS.index(item.upper()) in weekdays:
                raise self.fail(item_key, f"{item} is listed twice")
            weekdays.add(WEEKDAYS.index(item.upper()))
        sessions = self._sessions(f"{key}.sessions", table["sessions"])
        dated: list[DatedSessions] = []
        for position, item in enumerate(self.items(f"{key}.dated", table.get("dated", []))):
            period = self._dated(f"{key}.dated[{position}]", item)
            for earlier in dated:
                if period.first_day <= earlier.last_day and earlier.first_day <= period.last_day:
                    raise self.fail(
                        f"{key}.dated[{position}]",
                        f"overlaps the period {earlier.first_day} to {earlier.last_day}",
                    )
            dated.append(period)
        return ExchangeHours(exchange, sessions, frozenset(weekdays), tuple(dated))

    def _dated(self, key: str, value: object) -> DatedSessions:
        table = self.table(key, value, ("first_day", "last_day", "sessions"), ("note",))
        first = self.day(f"{key}.first_day", table["first_day"])
        last = self.day(f"{key}.last_day", table["last_day"])
        if last < first:
            raise self.fail(f"{key}.last_day", f"{last} is before first_day {first}")
        sessions = self._sessions(f"{key}.sessions", table["sessions"])
        note = self.text(f"{key}.note", table.get("note", ""), allow_empty=True)
        return DatedSessions(first, last, sessions, note)

    def _sessions(self, key: str, value: object) -> tuple[Session, ...]:
        sessions: list[Session] = []
        for position, item in enumerate(self.items(key, value, allow_empty=False)):
            item_key = f"{key}[{position}]"
            table = self.table(item_key, item, ("phase", "start", "end"), ("orders",))
            phase = self.member(f"{item_key}.phase", table["phase"], Phase)
            start = self.clock(f"{item_key}.start", table["start"])
            end = self.clock(f"{item_key}.end", table["end"])
            if not start < end:
                raise self.fail(
                    f"{item_key}.end",
                    f"{end} is not after start {start} (a session cannot cross midnight)",
                )
            orders = self.flag(f"{item_key}.orders", table.get("orders", True))
            if sessions and start < sessions[-1].end:
                raise self.fail(
                    f"{item_key}.start",
                    f"{start} is before the previous session ends ({sessions[-1].end}): "
                    "list sessions in order, without overlaps",
                )
            sessions.append(Session(phase, start, end, orders))
        if not any(session.phase is Phase.OPEN for session in sessions):
            raise self.fail(key, "has no OPEN session: the exchange would never trade")
        return tuple(sessions)

    def _holidays(self, value: object, years: frozenset[int]) -> list[Holiday]:
        holidays: list[Holiday] = []
        seen: dict[tuple[Exchange, date], str] = {}
        for position, item in enumerate(self.items("holidays", value)):
            key = f"holidays[{position}]"
            table = self.table(key, item, ("date", "name"), ("closed", "partial"))
            day = self.day(f"{key}.date", table["date"])
            if day.year not in years:
                raise self.fail(
                    f"{key}.date",
                    f"{day.year} is not in meta.holiday_years: list a year there once its "
                    "holidays are all in",
                )
            name = self.text(f"{key}.name", table["name"])
            closed = self.exchanges(f"{key}.closed", table.get("closed", []))
            partial = self._partial(f"{key}.partial", table.get("partial", {}), closed)
            if not closed and not partial:
                raise self.fail(key, "closes no exchange: give `closed` or `partial`")
            for exchange in (e for e in Exchange if e in closed or e in partial):
                if (exchange, day) in seen:
                    raise self.fail(
                        f"{key}.date",
                        f"{exchange} already has a holiday on {day}: {seen[exchange, day]}",
                    )
                seen[(exchange, day)] = name
            holidays.append(Holiday(day, name, closed, partial))
        return holidays

    def _partial(
        self, key: str, value: object, closed: frozenset[Exchange]
    ) -> dict[Exchange, TimeWindow]:
        names = tuple(exchange.value for exchange in Exchange)
        table = self.table(key, value, (), names)
        windows: dict[Exchange, TimeWindow] = {}
        for name, item in table.items():
            exchange = Exchange(name)
            item_key = f"{key}.{name}"
            if exchange in closed:
                raise self.fail(item_key, f"{exchange} is also in `closed`: it is one or the other")
            window = self.table(item_key, item, (), ("from", "until"))
            start = self.clock(f"{item_key}.from", window["from"]) if "from" in window else None
            end = self.clock(f"{item_key}.until", window["until"]) if "until" in window else None
            if start is None and end is None:
                raise self.fail(item_key, "needs `from`, `until` or both")
            if start is not None and end is not None and not start < end:
                raise self.fail(f"{item_key}.until", f"{end} is not after `from` {start}")
            windows[exchange] = TimeWindow(start, end)
        return windows

    def _special_sessions(self, value: object) -> list[SpecialSession]:
        specials: list[SpecialSession] = []
        seen: set[tuple[Exchange, date]] = set()
        for position, item in enumerate(self.items("special_sessions", value)):
            key = f"special_sessions[{position}]"
            table = self.table(key, item, ("date", "name", "exchanges", "sessions"))
            day = self.day(f"{key}.date", table["date"])
            name = self.text(f"{key}.name", table["name"])
            exchanges = self.exchanges(f"{key}.exchanges", table["exchanges"])
            if not exchanges:
                raise self.fail(f"{key}.exchanges", "must name at least one exchange")
            for exchange in (e for e in Exchange if e in exchanges):
                if (exchange, day) in seen:
                    raise self.fail(
                        f"{key}.date", f"{exchange} already has a special session on {day}"
                    )
                seen.add((exchange, day))
            sessions = self._sessions(f"{key}.sessions", table["sessions"])
            specials.append(SpecialSession(day, name, exchanges, sessions))
        return specials

    def _brokers(self, value: object) -> list[BrokerRules]:
        if not isinstance(value, dict):
            raise self.fail("brokers", f"must be a table, not {_kind(value)}")
        return [self._broker(str(name), rules) for name, rules in value.items()]

    def _broker(self, name: str, value: object) -> BrokerRules:
        key = f"brokers.{name}"
        table = self.table(
            key,
            value,
            ("label",),
            ("mis_entry_margin_minutes", "source", "square_off", "amo"),
        )
        label = self.text(f"{key}.label", table["label"])
        margin = self.whole(
            f"{key}.mis_entry_margin_minutes",
            table.get("mis_entry_margin_minutes", DEFAULT_MIS_ENTRY_MARGIN_MINUTES),
            0,
            120,
        )
        self.text(f"{key}.source", table.get("source", ""), allow_empty=True)
        square_off = self._per_segment(
            f"{key}.square_off", table.get("square_off", {}), self._square_off
        )
        amo = self._per_segment(f"{key}.amo", table.get("amo", {}), self._amo)
        return BrokerRules(name, label, square_off, amo, timedelta(minutes=margin))

    def _per_segment(
        self, key: str, value: object, read: Callable[[str, object], _T]
    ) -> dict[Segment, _T]:
        names = tuple(segment.value for segment in Segment)
        table = self.table(key, value, (), names)
        return {Segment(name): read(f"{key}.{name}", item) for name, item in table.items()}

    def _square_off(self, key: str, value: object) -> SquareOffRule:
        table = self.table(key, value, (), ("at", "minutes_before_close", "confirmed"))
        confirmed = self.flag(f"{key}.confirmed", table.get("confirmed", True))
        if ("at" in table) == ("minutes_before_close" in table):
            raise self.fail(key, "needs exactly one of `at` and `minutes_before_close`")
        if "at" in table:
            return SquareOffRule(at=self.clock(f"{key}.at", table["at"]), confirmed=confirmed)
        minutes = self.whole(
            f"{key}.minutes_before_close", table["minutes_before_close"], 0, MAX_MINUTES
        )
        return SquareOffRule(minutes_before_close=minutes, confirmed=confirmed)

    def _amo(self, key: str, value: object) -> AmoRule:
        table = self.table(
            key,
            value,
            ("closes",),
            ("opens", "opens_at_close", "any_time_on_closed_days", "confirmed"),
        )
        closes = self.clock(f"{key}.closes", table["closes"])
        at_close = self.flag(f"{key}.opens_at_close", table.get("opens_at_close", False))
        if ("opens" in table) == at_close:
            raise self.fail(key, "needs exactly one of `opens` and `opens_at_close = true`")
        opens = self.clock(f"{key}.opens", table["opens"]) if "opens" in table else None
        if opens is not None and opens == closes:
            raise self.fail(f"{key}.opens", "equals `closes`: the window would be empty")
        return AmoRule(
            closes=closes,
            opens=opens,
            any_time_on_closed_days=self.flag(
                f"{key}.any_time_on_closed_days", table.get("any_time_on_closed_days", False)
            ),
            confirmed=self.flag(f"{key}.confirmed", table.get("confirmed", True)),
        )


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _kind(value: object) -> str:
    """How a wrong value reads in a message: its text for a scalar, its type otherwise."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else str(value)
