"""The order state machine and what each broker state means for an order's status."""

from __future__ import annotations

import itertools

import pytest

from trader_gui.domain.broker_states import Outcome, outcome_for
from trader_gui.domain.enums import BrokerState, OrderStatus, Tag
from trader_gui.domain.transitions import IllegalTransitionError, check, is_allowed

CREATED = OrderStatus.CREATED
SENT = OrderStatus.SENT_TO_BROKER
EXECUTED = OrderStatus.EXECUTED
FAILED = OrderStatus.FAILED

EXPECTED_ALLOWED = {
    (None, CREATED),  # step 1
    (None, SENT),  # found at the broker, placed elsewhere, still open
    (None, EXECUTED),  # ... already filled
    (None, FAILED),  # ... already rejected or cancelled
    (CREATED, FAILED),  # blocked in step 2, or interrupted before step 3
    (CREATED, SENT),  # step 3
    (SENT, SENT),  # broker detail changes, status stays
    (SENT, EXECUTED),
    (SENT, FAILED),
}
"""Written out here, not imported: the test must fail if the table changes by accident."""

ALL_PAIRS = list(itertools.product([None, *OrderStatus], OrderStatus))


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_the_table_allows_exactly_the_designed_moves(
    from_status: OrderStatus | None, to_status: OrderStatus
) -> None:
    expected = (from_status, to_status) in EXPECTED_ALLOWED

    assert is_allowed(from_status, to_status) is expected


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    list(itertools.product([EXECUTED, FAILED], OrderStatus)),
)
def test_terminal_statuses_have_no_way_out(
    from_status: OrderStatus, to_status: OrderStatus
) -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        check("CMD42", from_status, to_status)

    error = caught.value
    assert error.command_id == "CMD42"
    assert error.from_status is from_status
    assert error.to_status is to_status
    assert "CMD42" in str(error)
    assert f"{from_status} -> {to_status}" in str(error)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (CREATED, CREATED),  # registered twice
        (CREATED, EXECUTED),  # filled without ever being sent
        (SENT, CREATED),  # going back
    ],
)
def test_check_refuses_skipped_or_backward_steps(
    from_status: OrderStatus, to_status: OrderStatus
) -> None:
    with pytest.raises(IllegalTransitionError, match=r"^order ORD7: "):
        check("ORD7", from_status, to_status)


@pytest.mark.parametrize(("from_status", "to_status"), sorted(EXPECTED_ALLOWED, key=str))
def test_check_lets_allowed_moves_through(
    from_status: OrderStatus | None, to_status: OrderStatus
) -> None:
    check("ORD8", from_status, to_status)  # no exception


def test_terminal_statuses_are_exactly_executed_and_failed() -> None:
    assert {status for status in OrderStatus if status.is_terminal} == {EXECUTED, FAILED}


# ---- broker states (step 6) ---------------------------------------------------------------


@pytest.mark.parametrize("filled_qty", [0, 1, 65])
def test_complete_is_executed(filled_qty: int) -> None:
    assert outcome_for(BrokerState.COMPLETE, filled_qty) == Outcome(EXECUTED, None)


@pytest.mark.parametrize(
    ("state", "tag"),
    [
        (BrokerState.REJECTED, Tag.BROKER_REJECTED),
        (BrokerState.CANCELLED, Tag.BROKER_CANCELLED),
        (BrokerState.EXPIRED, Tag.BROKER_EXPIRED),
    ],
)
def test_a_final_state_without_fill_is_failed_with_its_broker_tag(
    state: BrokerState, tag: Tag
) -> None:
    assert outcome_for(state, 0) == Outcome(FAILED, tag)


@pytest.mark.parametrize(
    "state", [BrokerState.REJECTED, BrokerState.CANCELLED, BrokerState.EXPIRED]
)
@pytest.mark.parametrize("filled_qty", [1, 64])
def test_a_final_state_after_a_part_fill_is_executed(state: BrokerState, filled_qty: int) -> None:
    """The position exists: the order is EXECUTED, whatever ended the rest of it."""
    assert outcome_for(state, filled_qty) == Outcome(EXECUTED, None)


@pytest.mark.parametrize(
    "state",
    [
        BrokerState.OPEN,
        BrokerState.PENDING,
        BrokerState.TRIGGER_PENDING,
        BrokerState.PARTIALLY_FILLED,
    ],
)
@pytest.mark.parametrize("filled_qty", [0, 10])
def test_a_live_state_keeps_the_order_at_the_broker(state: BrokerState, filled_qty: int) -> None:
    assert outcome_for(state, filled_qty) == Outcome(SENT, None)


@pytest.mark.parametrize("filled_qty", [0, 5])
def test_an_unrecognised_state_leaves_the_row_as_it_was(filled_qty: int) -> None:
    assert outcome_for(BrokerState.UNRECOGNISED, filled_qty) is None


def test_every_broker_state_is_mapped() -> None:
    """A new state added to the enum must be given a meaning here on purpose."""
    mapped = {
        BrokerState.COMPLETE,
        BrokerState.REJECTED,
        BrokerState.CANCELLED,
        BrokerState.EXPIRED,
        BrokerState.OPEN,
        BrokerState.PENDING,
        BrokerState.TRIGGER_PENDING,
        BrokerState.PARTIALLY_FILLED,
        BrokerState.UNRECOGNISED,
    }

    assert set(BrokerState) == mapped


@pytest.mark.parametrize("state", list(BrokerState))
def test_every_outcome_is_a_legal_move_for_an_order_at_the_broker(state: BrokerState) -> None:
    """The watcher writes outcomes onto SENT_TO_BROKER rows: each must be in the table."""
    for filled_qty in (0, 1):
        outcome = outcome_for(state, filled_qty)
        if outcome is not None:
            assert is_allowed(SENT, outcome.status)
