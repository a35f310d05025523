"""The order state machine as data: the one place that says which status moves are legal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trader_gui.domain.enums import OrderStatus, Tag

ALLOWED_TRANSITIONS: frozenset[tuple[OrderStatus | None, OrderStatus]] = frozenset(
    {
        (None, OrderStatus.CREATED),  # step 1: registered
        (None, OrderStatus.SENT_TO_BROKER),  # an order found at the broker, placed elsewhere
        (None, OrderStatus.EXECUTED),  # ... already filled when found
        (None, OrderStatus.FAILED),  # ... already rejected or cancelled when found
        (OrderStatus.CREATED, OrderStatus.FAILED),  # step 2 blocked, or interrupted
        (OrderStatus.CREATED, OrderStatus.SENT_TO_BROKER),  # step 3
        # Step 5 and the watcher record broker detail (accepted, open, part filled) without
        # changing the status: a same-status step, kept in the audit trail.
        (OrderStatus.SENT_TO_BROKER, OrderStatus.SENT_TO_BROKER),
        (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED),
        (OrderStatus.SENT_TO_BROKER, OrderStatus.FAILED),
    }
)
"""EXECUTED and FAILED are terminal: nothing leaves them."""


class IllegalTransitionError(Exception):
    """A move the table does not allow. The caller logs it and writes nothing."""

    def __init__(self, command_id: str, from_status: OrderStatus | None, to: OrderStatus):
        super().__init__(f"order {command_id}: {from_status} -> {to} is not allowed")
        self.command_id = command_id
        self.from_status = from_status
        self.to_status = to


def is_allowed(from_status: OrderStatus | None, to_status: OrderStatus) -> bool:
    return (from_status, to_status) in ALLOWED_TRANSITIONS


def check(command_id: str, from_status: OrderStatus | None, to_status: OrderStatus) -> None:
    if not is_allowed(from_status, to_status):
        raise IllegalTransitionError(command_id, from_status, to_status)


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the audit trail and of the lifecycle panel."""

    command_id: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    tag: Tag | None
    detail: str
    at: datetime
    broker_status: str | None = None
