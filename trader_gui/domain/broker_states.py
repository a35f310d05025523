"""What a broker's order state means for our status: the mapping of step 6."""

from __future__ import annotations

from dataclasses import dataclass

from trader_gui.domain.enums import BrokerState, OrderStatus, Tag

_FAILED_TAGS = {
    BrokerState.REJECTED: Tag.BROKER_REJECTED,
    BrokerState.CANCELLED: Tag.BROKER_CANCELLED,
    BrokerState.EXPIRED: Tag.BROKER_EXPIRED,
}


@dataclass(frozen=True, slots=True)
class Outcome:
    status: OrderStatus
    tag: Tag | None


def outcome_for(state: BrokerState, filled_qty: int) -> Outcome | None:
    """The status an order takes for a broker state; None leaves the row as it was.

    A final state with any fill is EXECUTED: the position exists, whatever ended the rest.
    """
    if state is BrokerState.UNRECOGNISED:
        return None
    if state is BrokerState.COMPLETE:
        return Outcome(OrderStatus.EXECUTED, None)
    if state in _FAILED_TAGS:
        if filled_qty > 0:
            return Outcome(OrderStatus.EXECUTED, None)
        return Outcome(OrderStatus.FAILED, _FAILED_TAGS[state])
    return Outcome(OrderStatus.SENT_TO_BROKER, None)
