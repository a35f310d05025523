"""Exchange sessions, holidays and broker order windows: when an order can go, and how.

An order sent while its exchange is shut, or an MIS entry sent a minute before the broker
squares MIS off, is refused or wasted. This module answers, for an exchange and an instant,
what the market is doing (`state`), whether a ticket goes now, goes as an after-market order or
cannot go (`order_window`), and when the broker squares MIS positions off (`square_off_at`).

It is pure. Every rule comes in as data (`resources/market_calendar.toml`, read and checked by
`persistence/calendar_file.py`), so a new holiday or a changed session is a data edit, and the
time comes in as an argument: nothing here reads a clock or a file, so each decision can be
tested at 09:14:59 on a holiday eve. Times are IST (`market_time.IST`); an aware datetime in
any zone is accepted and converted, a naive one is refused because its zone is a guess.

Sessions never cross midnight (MCX's latest close is 23:55); after-market windows do, and are
handled as an evening part on one day and a morning part on the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from trader_gui.domain.enums import Exchange, Product
from trader_gui.domain.market_time import IST

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""Literal, not strftime("%A"), which follows the locale."""
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

LOOKAHEAD_DAYS = 400
"""How far `next_open` searches: past any run of holidays, short of looping forever on a
calendar that never opens an exchange."""

SPECIAL_DAY_SQUARE_OFF = timedelta(minutes=15)
"""On a day whose sessions do not contain the broker's fixed square-off time (a Muhurat hour),
brokers announce their own time; until they do, MIS is assumed squared off this long before
the close."""


class Phase(StrEnum):
    """A part of an exchange's trading day."""

    PRE_OPEN = "PRE_OPEN"  # the opening call auction
    OPEN = "OPEN"  # continuous trading
    CLOSING_SESSION = "CLOSING_SESSION"  # post-close: trades at the closing price only


class MarketStatus(StrEnum):
    """What an exchange is doing at an instant."""

    PRE_OPEN = "PRE_OPEN"
    OPEN = "OPEN"
    CLOSING_SESSION = "CLOSING_SESSION"
    CLOSED = "CLOSED"  # a weekend, or outside the day's sessions
    HOLIDAY = "HOLIDAY"  # a listed trading holiday (the whole day or one session of it)


class Segment(StrEnum):
    """How brokers group their rules: cash equity, equity derivatives, commodities."""

    EQUITY = "equity"
    FNO = "fno"
    COMMODITY = "commodity"

    @property
    def label(self) -> str:
        return {"equity": "equity", "fno": "F&O", "commodity": "commodity"}[self.value]


SEGMENT_OF: Mapping[Exchange, Segment] = {
    Exchange.NSE: Segment.EQUITY,
    Exchange.BSE: Segment.EQUITY,
    Exchange.NFO: Segment.FNO,
    Exchange.BFO: Segment.FNO,
    Exchange.MCX: Segment.COMMODITY,
}

CARRY_PRODUCT: Mapping[Segment, Product] = {
    Segment.EQUITY: Product.CNC,
    Segment.FNO: Product.NRML,
    Segment.COMMODITY: Product.NRML,
}
"""The product to name when MIS is refused: the one that may be held overnight."""


class WindowKind(StrEnum):
    """How a ticket can go to the broker now."""

    NORMAL = "NORMAL"  # a regular order, the exchange takes it now
    AMO = "AMO"  # an after-market order: the broker holds it and sends it at the next open
    REFUSED = "REFUSED"  # neither: the sentence says why and from when it can go


@dataclass(frozen=True, slots=True)
class Session:
    """One phase of a trading day, from `start` (inclusive) to `end` (exclusive), IST.

    `accepts_orders` is False for the pre-open's matching and buffer minutes (09:08-09:15 on
    NSE): the phase is still pre-open, but the exchange takes no orders then."""

    phase: Phase
    start: time
    end: time
    accepts_orders: bool = True

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"a session must end after it starts: {self.start}-{self.end}")

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class DatedSessions:
    """Sessions that replace an exchange's usual ones from `first_day` to `last_day` inclusive:
    MCX's late close while the US is on standard time, or a future change of hours announced
    with its start date."""

    first_day: date
    last_day: date
    sessions: tuple[Session, ...]
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class ExchangeHours:
    """An exchange's usual trading day and the weekdays it trades (Monday = 0)."""

    exchange: Exchange
    sessions: tuple[Session, ...]
    trading_weekdays: frozenset[int] = frozenset(range(5))
    dated: tuple[DatedSessions, ...] = ()

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        for period in self.dated:
            if period.covers(day):
                return period.sessions
        return self.sessions


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The part of a day an exchange still trades on a partial holiday: MCX closes its morning
    session on most exchange holidays and trades from 17:00 (`start`); on New Year's Day it
    trades the morning only (`end`)."""

    start: time | None = None
    end: time | None = None

    def clip(self, sessions: Iterable[Session]) -> tuple[Session, ...]:
        clipped: list[Session] = []
        for session in sessions:
            start = max(session.start, self.start) if self.start else session.start
            end = min(session.end, self.end) if self.end else session.end
            if start < end:
                clipped.append(Session(session.phase, start, end, session.accepts_orders))
        return tuple(clipped)


@dataclass(frozen=True, slots=True)
class Holiday:
    """A listed trading holiday: exchanges shut all day, and exchanges that trade part of it."""

    day: date
    name: str
    closed: frozenset[Exchange] = frozenset()
    partial: Mapping[Exchange, TimeWindow] = field(default_factory=dict)

    def affects(self, exchange: Exchange) -> bool:
        return exchange in self.closed or exchange in self.partial


@dataclass(frozen=True, slots=True)
class SpecialSession:
    """A session outside the usual calendar, such as Muhurat trading on a Diwali Sunday: it
    replaces the day's sessions for its exchanges, holiday or weekend notwithstanding."""

    day: date
    name: str
    exchanges: frozenset[Exchange]
    sessions: tuple[Session, ...]


@dataclass(frozen=True, slots=True)
class SquareOffRule:
    """When a broker closes open MIS positions: at a fixed time, or a number of minutes before
    the exchange's close (MCX, whose close moves with the US clock change)."""

    at: time | None = None
    minutes_before_close: int | None = None
    confirmed: bool = True

    def __post_init__(self) -> None:
        if (self.at is None) == (self.minutes_before_close is None):
            raise ValueError("a square-off rule has either a time or minutes before the close")


@dataclass(frozen=True, slots=True)
class AmoRule:
    """When a broker takes after-market orders for a segment.

    The window runs from `opens` (or from the exchange's close when `opens` is None) to
    `closes` on the next morning. When `opens` is earlier than `closes` the window is that
    morning stretch only. On days the exchange does not trade, `any_time_on_closed_days` lets
    an AMO in at any hour, as Zerodha does."""

    closes: time
    opens: time | None = None
    any_time_on_closed_days: bool = False
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class BrokerRules:
    """A broker's intraday and after-market rules, by segment.

    `mis_entry_margin` is this program's own margin, not the broker's: a new MIS entry is
    refused that long before the square-off, so a position is not opened only to be closed by
    the broker (with its charge) a minute later. Exits are never refused by it."""

    broker: str
    label: str
    square_off: Mapping[Segment, SquareOffRule] = field(default_factory=dict)
    amo: Mapping[Segment, AmoRule] = field(default_factory=dict)
    mis_entry_margin: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class MarketState:
    """What an exchange is doing, a sentence saying so, and when it next opens.

    `next_open` is the start of the next continuous session (the 09:15 open, not the 09:00
    pre-open); it is None only if the calendar has no open within `LOOKAHEAD_DAYS`. `until` is
    when the current phase ends, None while closed."""

    exchange: Exchange
    status: MarketStatus
    sentence: str
    next_open: datetime | None
    until: datetime | None = None
    holiday: str | None = None
    accepts_orders: bool = False

    @property
    def is_open(self) -> bool:
        return self.status is MarketStatus.OPEN


@dataclass(frozen=True, slots=True)
class OrderWindow:
    """Whether a ticket goes now (NORMAL), goes as an after-market order (AMO) or cannot go
    (REFUSED), with the sentence the window shows and the exchange's state behind it."""

    kind: WindowKind
    sentence: str
    state: MarketState

    @property
    def ok(self) -> bool:
        return self.kind is not WindowKind.REFUSED


class UnknownBrokerError(KeyError):
    """A broker the calendar has no rules for: a programming or data error, not a ticket's."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown broker"


def hhmm(moment: time | datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def day_label(day: date) -> str:
    """`Wed 04 Mar`: short enough for a status bar, locale-independent."""
    return f"{WEEKDAY_NAMES[day.weekday()][:3]} {day.day:02d} {MONTH_NAMES[day.month - 1]}"


def to_ist(now: datetime) -> datetime:
    """`now` in IST; a naive datetime is refused, since which zone it meant is a guess."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the market calendar needs an aware datetime, not a naive one")
    return now.astimezone(IST)


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, IST)


class MarketCalendar:
    """Sessions, holidays and broker rules for every exchange; every answer is for a given
    instant or day, so the calendar itself never changes and is safe to share."""

    def __init__(
        self,
        hours: Iterable[ExchangeHours],
        holidays: Iterable[Holiday] = (),
        special_sessions: Iterable[SpecialSession] = (),
        brokers: Iterable[BrokerRules] = (),
        *,
        holiday_years: Iterable[int] = (),
        source: str = "",
    ) -> None:
        self._hours = {entry.exchange: entry for entry in hours}
        missing = [exchange.value for exchange in Exchange if exchange not in self._hours]
        if missing:
            raise ValueError(f"no trading hours for {', '.join(missing)}")
        self._holidays: dict[tuple[Exchange, date], Holiday] = {}
        for holiday in holidays:
            for exchange in (*holiday.closed, *holiday.partial):
                self._holidays[(exchange, holiday.day)] = holiday
        self._special: dict[tuple[Exchange, date], SpecialSession] = {}
        for special in special_sessions:
            for exchange in special.exchanges:
                self._special[(exchange, special.day)] = special
        self._brokers = {rules.broker: rules for rules in brokers}
        self.holiday_years = frozenset(holiday_years)
        """The years whose holidays the data lists; outside them every weekday looks open."""
        self.source = source

    # ---- days and sessions ------------------------------------------------------------------

    def knows_holidays(self, day: date) -> bool:
        """Whether `day`'s year has a holiday list: a calendar without next year's list would
        call Republic Day a trading day, and the window can say so."""
        return day.year in self.holiday_years

    def holiday(self, exchange: Exchange, day: date) -> Holiday | None:
        return self._holidays.get((exchange, day))

    def special_session(self, exchange: Exchange, day: date) -> SpecialSession | None:
        return self._special.get((exchange, day))

    def sessions(self, exchange: Exchange, day: date) -> tuple[Session, ...]:
        """The exchange's sessions on `day`, after weekends, holidays and special sessions."""
        special = self._special.get((exchange, day))
        if special is not None:
            return special.sessions
        hours = self._hours[exchange]
        if day.weekday() not in hours.trading_weekdays:
            return ()
        holiday = self._holidays.get((exchange, day))
        sessions = hours.sessions_on(day)
        if holiday is None:
            return sessions
        if exchange in holiday.closed:
            return ()
        return holiday.partial[exchange].clip(sessions)

    def is_trading_day(self, exchange: Exchange, day: date) -> bool:
        """True when the exchange has continuous trading on `day`, for however short a time."""
        return any(session.phase is Phase.OPEN for session in self.sessions(exchange, day))

    def open_span(self, exchange: Exchange, day: date) -> tuple[datetime, datetime] | None:
        """The first open and the last close of continuous trading on `day`, or None."""
        opens = [s for s in self.sessions(exchange, day) if s.phase is Phase.OPEN]
        if not opens:
            return None
        return at(day, min(s.start for s in opens)), at(day, max(s.end for s in opens))

    def next_open(self, exchange: Exchange, after: datetime) -> datetime | None:
        """The first start of continuous trading strictly after `after`: across weekends,
        holidays and the morning half of a partial holiday."""
        local = to_ist(after)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            for session in self.sessions(exchange, day):
                start = at(day, session.start)
                if session.phase is Phase.OPEN and start > local:
                    return start
        return None

    def next_order_entry(self, exchange: Exchange, after: datetime) -> datetime | None:
        """The first moment at or after `after` when the exchange takes regular orders again
        (the 09:00 pre-open on NSE, 09:15 on NFO). The closing session does not count: it
        trades at the closing price only, and no broker here routes orders to it."""
        local = to_ist(after)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            for session in self.sessions(exchange, day):
                if not session.accepts_orders or session.phase is Phase.CLOSING_SESSION:
                    continue
                if offset == 0 and session.contains(local.time()):
                    return local
                start = at(day, session.start)
                if start >= local:
                    return start
        return None

    # ---- the state of an exchange -----------------------------------------------------------

    def state(self, exchange: Exchange, now: datetime) -> MarketState:
        """What `exchange` is doing at `now`, with a sentence and the next open."""
        local = to_ist(now)
        day, moment = local.date(), local.time()
        next_open = self.next_open(exchange, local)
        for session in self.sessions(exchange, day):
            if session.contains(moment):
                return self._in_session(exchange, session, day, next_open)
        holiday = self._holiday_name(exchange, day)
        reason = self.closed_reason(exchange, local)
        sentence = (
            f"{exchange} is closed ({reason}); it opens {self._opens_phrase(next_open, day)}."
        )
        status = MarketStatus.CLOSED if holiday is None else MarketStatus.HOLIDAY
        return MarketState(exchange, status, sentence, next_open, None, holiday)

    def _holiday_name(self, exchange: Exchange, day: date) -> str | None:
        """The holiday that shapes `day` for `exchange`, unless a special session replaces it."""
        holiday = self.holiday(exchange, day)
        if holiday is None or self.special_session(exchange, day) is not None:
            return None
        return holiday.name

    def _in_session(
        self, exchange: Exchange, session: Session, day: date, next_open: datetime | None
    ) -> MarketState:
        until = at(day, session.end)
        holiday = self._holiday_name(exchange, day)
        if session.phase is Phase.OPEN:
            special = self.special_session(exchange, day)
            name = f" for {special.name}" if special else ""
            sentence = f"{exchange} is open{name} until {hhmm(session.end)}."
            return MarketState(
                exchange, MarketStatus.OPEN, sentence, next_open, until, holiday, True
            )
        if session.phase is Phase.PRE_OPEN:
            opens = f"the market opens at {hhmm(next_open)}" if next_open else "no open is listed"
            if session.accepts_orders:
                sentence = (
                    f"{exchange} is in its pre-open auction: orders are taken until "
                    f"{hhmm(session.end)} and {opens}."
                )
            else:
                sentence = f"{exchange}'s pre-open order entry has closed; {opens}."
            return MarketState(
                exchange,
                MarketStatus.PRE_OPEN,
                sentence,
                next_open,
                until,
                holiday,
                session.accepts_orders,
            )
        sentence = (
            f"{exchange} is in its closing session until {hhmm(session.end)}: trades at the "
            "closing price only."
        )
        return MarketState(
            exchange,
            MarketStatus.CLOSING_SESSION,
            sentence,
            next_open,
            until,
            holiday,
            session.accepts_orders,
        )

    def closed_reason(self, exchange: Exchange, now: datetime) -> str:
        """Why an exchange is not trading at `now`, in a few words: `Saturday`, `Holi`,
        `after the close at 15:30`, `before the open at 09:15`."""
        local = to_ist(now)
        day, moment = local.date(), local.time()
        holiday = self.holiday(exchange, day)
        if holiday is not None and self.special_session(exchange, day) is None:
            window = holiday.partial.get(exchange)
            if window is None:
                return holiday.name
            trades = [f"from {hhmm(window.start)}"] if window.start else []
            trades += [f"until {hhmm(window.end)}"] if window.end else []
            return f"{holiday.name}: trading {' '.join(trades)} only"
        sessions = self.sessions(exchange, day)
        if not sessions:
            return WEEKDAY_NAMES[day.weekday()]
        opens = [s for s in sessions if s.phase is Phase.OPEN]
        if opens and moment >= max(s.end for s in opens):
            return f"after the close at {hhmm(max(s.end for s in opens))}"
        if opens and moment < min(s.start for s in opens):
            return f"before the open at {hhmm(min(s.start for s in opens))}"
        return "between sessions"

    @staticmethod
    def _opens_phrase(next_open: datetime | None, today: date) -> str:
        if next_open is None:
            return "on no day this calendar lists"
        when = "today" if next_open.date() == today else day_label(next_open.date())
        return f"{when} at {hhmm(next_open)}"

    # ---- broker rules -----------------------------------------------------------------------

    @property
    def brokers(self) -> tuple[str, ...]:
        return tuple(self._brokers)

    def broker(self, broker: str) -> BrokerRules:
        try:
            return self._brokers[broker]
        except KeyError:
            known = ", ".join(sorted(self._brokers)) or "none"
            raise UnknownBrokerError(
                f"the market calendar has no rules for broker {broker!r} (it knows {known})"
            ) from None

    def square_off_at(
        self, broker: str, exchange: Exchange, product: Product, day: date
    ) -> datetime | None:
        """When `broker` squares off open MIS positions on `exchange` on `day`; None for a
        product that is carried overnight, or a day the exchange does not trade."""
        rules = self.broker(broker)
        if product is not Product.MIS:
            return None
        rule = rules.square_off.get(SEGMENT_OF[exchange])
        span = self.open_span(exchange, day)
        if rule is None or span is None:
            return None
        first_open, last_close = span
        if rule.minutes_before_close is not None:
            return max(first_open, last_close - timedelta(minutes=rule.minutes_before_close))
        assert rule.at is not None  # one of the two, by SquareOffRule's own check
        fixed = at(day, rule.at)
        if first_open < fixed < last_close:
            return fixed
        return max(first_open, last_close - SPECIAL_DAY_SQUARE_OFF)

    def mis_entry_cutoff(self, broker: str, exchange: Exchange, day: date) -> datetime | None:
        """The last moment a new MIS entry is taken on `day`: the square-off less the margin."""
        square_off = self.square_off_at(broker, exchange, Product.MIS, day)
        if square_off is None:
            return None
        span = self.open_span(exchange, day)
        assert span is not None  # a square-off exists only on a trading day
        return max(span[0], square_off - self.broker(broker).mis_entry_margin)

    def order_window(
        self,
        broker: str,
        exchange: Exchange,
        product: Product,
        now: datetime,
        *,
        entry: bool = True,
    ) -> OrderWindow:
        """Whether a ticket for `exchange` and `product` goes now, as an AMO, or not at all.

        An exit (`entry=False`) is never refused for the MIS cut-off: the trader must always
        be able to close a position, and the broker takes closing orders until it squares off.
        """
        local = to_ist(now)
        rules = self.broker(broker)
        state = self.state(exchange, local)
        if state.accepts_orders and state.status in (MarketStatus.OPEN, MarketStatus.PRE_OPEN):
            refused = self._mis_refusal(rules, exchange, product, local, entry)
            if refused is not None:
                return OrderWindow(WindowKind.REFUSED, refused, state)
            return OrderWindow(WindowKind.NORMAL, state.sentence, state)
        return self._outside_hours(rules, exchange, local, state)

    def _mis_refusal(
        self, rules: BrokerRules, exchange: Exchange, product: Product, local: datetime, entry: bool
    ) -> str | None:
        if product is not Product.MIS or not entry:
            return None
        square_off = self.square_off_at(rules.broker, exchange, product, local.date())
        cutoff = self.mis_entry_cutoff(rules.broker, exchange, local.date())
        if square_off is None or cutoff is None or local <= cutoff:
            return None
        rule = rules.square_off[SEGMENT_OF[exchange]]
        assumed = "" if rule.confirmed else f": assumed, not confirmed with {rules.label}"
        carry = CARRY_PRODUCT[SEGMENT_OF[exchange]]
        return (
            f"New MIS orders are refused after {hhmm(cutoff)} ({rules.label} squares off MIS "
            f"at {hhmm(square_off)}{assumed}); choose {carry} to hold the position instead."
        )

    def _outside_hours(
        self, rules: BrokerRules, exchange: Exchange, local: datetime, state: MarketState
    ) -> OrderWindow:
        segment = SEGMENT_OF[exchange]
        amo = rules.amo.get(segment)
        doing = self._doing(exchange, local, state)
        entry = self.next_order_entry(exchange, local)
        if amo is None:
            sentence = (
                f"{doing}; {rules.label} takes no after-market orders for {segment.label}: "
                f"place it from {self._when(entry, local)}."
            )
            return OrderWindow(WindowKind.REFUSED, sentence, state)
        assumed = "" if amo.confirmed else f" (assumed, not confirmed with {rules.label})"
        part = self._amo_part(exchange, amo, local)
        if part is not None:
            sentence = (
                f"{doing}; {rules.label} takes after-market orders {part}{assumed}: "
                "this order goes as an AMO."
            )
            return OrderWindow(WindowKind.AMO, sentence, state)
        amo_start = self._next_amo_start(exchange, amo, local)
        if amo_start is not None and (entry is None or amo_start < entry):
            then = f"place it as an AMO from {self._when(amo_start, local)}"
        else:
            then = f"place it from {self._when(entry, local)}"
        sentence = (
            f"{doing}; {rules.label} takes after-market orders only "
            f"{self._amo_window_phrase(amo)}{assumed}: {then}."
        )
        return OrderWindow(WindowKind.REFUSED, sentence, state)

    def _doing(self, exchange: Exchange, local: datetime, state: MarketState) -> str:
        if state.status is MarketStatus.CLOSING_SESSION:
            return f"{exchange} is in its closing session (closing-price trades only)"
        if state.status is MarketStatus.PRE_OPEN:
            return f"{exchange}'s pre-open order entry has closed"
        return f"{exchange} is closed ({self.closed_reason(exchange, local)})"

    @staticmethod
    def _when(moment: datetime | None, local: datetime) -> str:
        if moment is None:
            return "the next session (none is listed)"
        if moment.date() == local.date():
            return hhmm(moment)
        return f"{day_label(moment.date())} {hhmm(moment)}"

    @staticmethod
    def _amo_window_phrase(amo: AmoRule) -> str:
        start = hhmm(amo.opens) if amo.opens is not None else "the close"
        return f"from {start} to {hhmm(amo.closes)}"

    def _amo_part(self, exchange: Exchange, amo: AmoRule, local: datetime) -> str | None:
        """The phrase for the part of the AMO window `local` is in, or None outside it.

        A window that crosses midnight has an evening part (from `opens`, or from the day's
        close) and a morning part (until `closes`); one that does not is a morning stretch."""
        moment = local.time()
        span = self.open_span(exchange, local.date())
        evening = self._amo_opens_phrase(amo, span)
        if span is None and amo.any_time_on_closed_days:
            return "at any hour on a day the exchange is shut"
        if amo.opens is not None and amo.opens <= amo.closes:
            return f"until {hhmm(amo.closes)}" if amo.opens <= moment < amo.closes else None
        if moment < amo.closes:
            return f"until {hhmm(amo.closes)}"
        start = amo.opens if amo.opens is not None else (span[1].time() if span else None)
        if start is not None and moment >= start:
            return evening
        return None

    @staticmethod
    def _amo_opens_phrase(amo: AmoRule, span: tuple[datetime, datetime] | None) -> str:
        if amo.opens is not None:
            return f"from {hhmm(amo.opens)}"
        if span is not None:
            return f"from the close at {hhmm(span[1])}"
        return "from the close"

    def _next_amo_start(self, exchange: Exchange, amo: AmoRule, local: datetime) -> datetime | None:
        """When the AMO window next opens after `local`, for the sentence of a refusal."""
        day, moment = local.date(), local.time()
        if amo.opens is not None:
            return at(day, amo.opens) if moment < amo.opens else at(day + timedelta(1), amo.opens)
        for offset in range(LOOKAHEAD_DAYS + 1):
            span = self.open_span(exchange, day + timedelta(days=offset))
            if span is not None and span[1] > local:
                return span[1]
        return None
