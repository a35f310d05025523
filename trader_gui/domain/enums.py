"""The closed vocabularies of an order: every field that is one of a fixed set of words."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the direction a fill moves the position."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SL_M = "SL-M"

    @property
    def needs_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.SL)

    @property
    def needs_trigger(self) -> bool:
        return self in (OrderType.SL, OrderType.SL_M)


class Product(StrEnum):
    MIS = "MIS"  # intraday, squared off by the broker at the end of the day
    CNC = "CNC"  # equity delivery
    NRML = "NRML"  # carry-forward derivatives


class ExecutionType(StrEnum):
    ENTRY = "ENTRY"
    EXIT = "EXIT"


class Source(StrEnum):
    MANUAL = "MANUAL"  # typed into the window
    BASKET = "BASKET"  # a basket file from the command line
    EXTERNAL = "EXTERNAL"  # the local intake
    FLATTEN = "FLATTEN"  # the kill switch squaring off
    BROKER = "BROKER"  # placed outside this program, recorded read-only


class Exchange(StrEnum):
    NSE = "NSE"
    BSE = "BSE"
    NFO = "NFO"
    BFO = "BFO"
    MCX = "MCX"

    @property
    def is_derivatives(self) -> bool:
        return self in (Exchange.NFO, Exchange.BFO, Exchange.MCX)


class InstrumentKind(StrEnum):
    EQ = "EQ"
    FUT = "FUT"
    CE = "CE"
    PE = "PE"

    @property
    def is_option(self) -> bool:
        return self in (InstrumentKind.CE, InstrumentKind.PE)


class OrderStatus(StrEnum):
    """The reference's four statuses. The broker's live detail is a separate column."""

    CREATED = "CREATED"
    SENT_TO_BROKER = "SENT_TO_BROKER"
    EXECUTED = "EXECUTED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in (OrderStatus.EXECUTED, OrderStatus.FAILED)


class Tag(StrEnum):
    """Why an order has the status it has. One enum, so the window and docs share the words."""

    VALIDATION_FAILED = "VALIDATION_FAILED"
    KILL_SWITCH_ACTIVE = "KILL_SWITCH_ACTIVE"
    RISK_LIMITS_EXCEEDED = "RISK_LIMITS_EXCEEDED"
    EXECUTION_GUARD_BLOCKED = "EXECUTION_GUARD_BLOCKED"
    DUPLICATE_ORDER_BLOCKED = "DUPLICATE_ORDER_BLOCKED"
    MARKET_CLOSED = "MARKET_CLOSED"
    MIS_CUTOFF = "MIS_CUTOFF"
    BROKER_REJECTED = "BROKER_REJECTED"
    BROKER_CANCELLED = "BROKER_CANCELLED"
    BROKER_EXPIRED = "BROKER_EXPIRED"
    INTERRUPTED = "INTERRUPTED"
    NOT_FOUND_AT_BROKER = "NOT_FOUND_AT_BROKER"

    @property
    def is_blocker(self) -> bool:
        """Tags set in step 2: the order never left this program."""
        return self in BLOCKER_TAGS

    @property
    def label(self) -> str:
        return TAG_LABELS[self]


BLOCKER_TAGS = frozenset(
    {
        Tag.VALIDATION_FAILED,
        Tag.KILL_SWITCH_ACTIVE,
        Tag.RISK_LIMITS_EXCEEDED,
        Tag.EXECUTION_GUARD_BLOCKED,
        Tag.DUPLICATE_ORDER_BLOCKED,
        Tag.MARKET_CLOSED,
        Tag.MIS_CUTOFF,
    }
)

TAG_LABELS: dict[Tag, str] = {
    Tag.VALIDATION_FAILED: "Ticket invalid",
    Tag.KILL_SWITCH_ACTIVE: "Kill switch on",
    Tag.RISK_LIMITS_EXCEEDED: "Risk limit",
    Tag.EXECUTION_GUARD_BLOCKED: "Strategy already in position",
    Tag.DUPLICATE_ORDER_BLOCKED: "Duplicate order",
    Tag.MARKET_CLOSED: "Market closed",
    Tag.MIS_CUTOFF: "After the MIS cut-off",
    Tag.BROKER_REJECTED: "Rejected by broker",
    Tag.BROKER_CANCELLED: "Cancelled at broker",
    Tag.BROKER_EXPIRED: "Expired at broker",
    Tag.INTERRUPTED: "Interrupted before sending",
    Tag.NOT_FOUND_AT_BROKER: "Not found at broker",
}


class BrokerState(StrEnum):
    """A broker's order status word, translated by its adapter into one common vocabulary."""

    PENDING = "PENDING"  # received by the broker, not yet at the exchange
    OPEN = "OPEN"
    TRIGGER_PENDING = "TRIGGER_PENDING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    COMPLETE = "COMPLETE"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    UNRECOGNISED = "UNRECOGNISED"  # a word the adapter does not know: shown, never acted on

    @property
    def is_final(self) -> bool:
        return self in (
            BrokerState.COMPLETE,
            BrokerState.REJECTED,
            BrokerState.CANCELLED,
            BrokerState.EXPIRED,
        )


UNKNOWN_OUTCOME = "UNKNOWN"
"""broker_status of an order whose place_order call ended without an answer."""
