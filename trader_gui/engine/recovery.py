"""Start-up recovery: before the window takes a ticket, every old row is accounted for.

A row still CREATED crashed before step 3: it was never sent, and it never will be (an old
order must not go out late at a new price). Rows SENT_TO_BROKER are reconciled with the
broker's book by the watcher's first poll; those the broker never heard of become FAILED /
NOT_FOUND_AT_BROKER once the grace period since they were sent has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from trader_gui.domain.enums import OrderStatus, Tag
from trader_gui.persistence.repository import Applied, OrderRepository, StatusChange

log = logging.getLogger(__name__)

INTERRUPTED_DETAIL = (
    "The program stopped before this order was sent to the broker. It was not sent, and it "
    "will not be sent late at a new price; place it again if you still want it."
)


def fail_interrupted(
    repository: OrderRepository, client_id: str, clock: Callable[[], datetime]
) -> list[Applied]:
    """Every CREATED row of the account becomes FAILED / INTERRUPTED. Runs on the db thread."""
    failed: list[Applied] = []
    for record in repository.orders(client_id, statuses=(OrderStatus.CREATED,)):
        applied = repository.apply(
            StatusChange(
                record.command_id,
                OrderStatus.FAILED,
                clock(),
                tag=Tag.INTERRUPTED,
                detail=INTERRUPTED_DETAIL,
                expect_from=OrderStatus.CREATED,
            )
        )
        if applied is not None:
            log.warning("order %s was interrupted before sending: FAILED", record.command_id)
            failed.append(applied)
    return failed
