"""Approval mode: external orders wait for the trader, are approved (maybe edited), rejected or
expire; nothing is an order until approved, and every decision is kept in engine_state."""

from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_asyncio
from intake_support import Intake, IntakeFactory, ticket

from trader_gui.domain.enums import OrderStatus, Source, Tag
from trader_gui.engine.intake_approvals import STATE_KEY, ApprovalError, Outcome

pytestmark = pytest.mark.asyncio

TIMEOUT_S = 60.0


@pytest_asyncio.fixture
async def waiting_intake(intakes: IntakeFactory) -> Intake:
    return await intakes.start(approval=True, approval_timeout_s=TIMEOUT_S)


def saved_state(intake: Intake) -> dict:
    return intake.runtime.repository.load_state(intake.runtime.config.client_id, STATE_KEY)


async def test_an_external_order_waits_and_is_not_an_order_yet(waiting_intake: Intake) -> None:
    reply = await waiting_intake.post(ticket(client_order_id="w1"))

    assert reply.status == 202
    assert reply.body["status"] == "WAITING_FOR_APPROVAL"
    assert "Waiting for approval" in reply.body["detail"]
    assert waiting_intake.orders() == []
    assert waiting_intake.runtime.broker.order_book() == []
    (entry,) = waiting_intake.service.approvals.waiting()
    assert entry.command_id == reply.body["command_id"]
    assert entry.command.source is Source.EXTERNAL
    assert entry.fields["symbol"] == "SBIN"
    status = await waiting_intake.get(f"/orders/{entry.command_id}")
    assert status.body["status"] == "WAITING_FOR_APPROVAL"
    replay = await waiting_intake.post(ticket(client_order_id="w1"))
    assert (replay.status, replay.body["command_id"]) == (200, entry.command_id)
    assert len(waiting_intake.service.approvals.waiting()) == 1
    assert saved_state(waiting_intake)["waiting"][0]["command_id"] == entry.command_id
    assert any("waits for your approval" in text for text in waiting_intake.notices())


async def test_an_approved_order_goes_through_the_six_steps(waiting_intake: Intake, clock) -> None:
    reply = await waiting_intake.post(ticket(client_order_id="w2"))
    command_id = reply.body["command_id"]

    records = await waiting_intake.service.approvals.approve(command_id)

    assert [r.status for r in records] == [OrderStatus.SENT_TO_BROKER]
    assert records[0].command_id == command_id
    assert waiting_intake.service.approvals.waiting() == []
    clock.advance(1)
    await waiting_intake.runtime.watcher.poll_once()
    status = await waiting_intake.get(f"/orders/{command_id}")
    assert status.body["status"] == "EXECUTED"
    replay = await waiting_intake.post(ticket(client_order_id="w2"))
    assert (replay.status, replay.body["status"]) == (200, "EXECUTED")
    assert len(waiting_intake.runtime.broker.order_book()) == 1
    (decision,) = saved_state(waiting_intake)["decisions"]
    assert (decision["outcome"], decision["by"]) == ("APPROVED", "trader")


async def test_the_trader_may_edit_before_approving(waiting_intake: Intake) -> None:
    reply = await waiting_intake.post(ticket(quantity=10))
    command_id = reply.body["command_id"]
    approvals = waiting_intake.service.approvals

    with pytest.raises(ApprovalError, match="whole number"):
        await approvals.approve(command_id, {"quantity": "ten"})
    assert approvals.get(command_id) is not None  # a bad edit leaves it waiting
    (record,) = await approvals.approve(command_id, {"quantity": 5})

    assert record.command.quantity == 5
    decision = approvals.decision(command_id)
    assert decision is not None
    assert decision.detail == "Approved with quantity 10 -> 5."


async def test_a_rejected_order_is_never_sent_and_answers_so(waiting_intake: Intake) -> None:
    reply = await waiting_intake.post(ticket(client_order_id="w3"))
    command_id = reply.body["command_id"]

    decision = await waiting_intake.service.approvals.reject(command_id, "not now")

    assert decision.outcome is Outcome.REJECTED
    assert waiting_intake.orders() == []
    status = await waiting_intake.get(f"/orders/{command_id}")
    assert status.body["status"] == "REJECTED_BY_TRADER"
    assert "not now" in status.body["detail"]
    replay = await waiting_intake.post(ticket(client_order_id="w3"))
    assert (replay.status, replay.body["status"]) == (200, "REJECTED_BY_TRADER")
    assert waiting_intake.service.approvals.waiting() == []
    with pytest.raises(ApprovalError, match="already decided"):
        await waiting_intake.service.approvals.approve(command_id)


async def test_a_waiting_order_expires_and_is_never_sent_late(
    waiting_intake: Intake, clock
) -> None:
    reply = await waiting_intake.post(ticket())
    command_id = reply.body["command_id"]
    approvals = waiting_intake.service.approvals

    clock.advance(TIMEOUT_S - 1)
    assert await approvals.expire_due() == []
    clock.advance(1)
    (expired,) = await approvals.expire_due()

    assert expired.outcome is Outcome.EXPIRED
    assert approvals.waiting() == []
    assert waiting_intake.orders() == []
    status = await waiting_intake.get(f"/orders/{command_id}")
    assert status.body["status"] == "APPROVAL_EXPIRED"
    with pytest.raises(ApprovalError, match="already decided"):
        await approvals.approve(command_id)
    assert any("expired waiting for approval" in text for text in waiting_intake.notices())


async def test_approving_after_the_deadline_expires_instead(waiting_intake: Intake, clock) -> None:
    reply = await waiting_intake.post(ticket())
    clock.advance(TIMEOUT_S)

    with pytest.raises(ApprovalError, match="expired"):
        await waiting_intake.service.approvals.approve(reply.body["command_id"])

    assert waiting_intake.orders() == []


async def test_a_clock_set_back_does_not_keep_an_order_waiting_longer(
    waiting_intake: Intake, clock
) -> None:
    """The timeout runs on the monotonic clock: an hour set back is not an hour more."""
    reply = await waiting_intake.post(ticket())
    approvals = waiting_intake.service.approvals
    clock.jump_to(clock() - timedelta(hours=1))
    clock.advance(TIMEOUT_S)

    (expired,) = await approvals.expire_due()

    assert (expired.command_id, expired.outcome) == (reply.body["command_id"], Outcome.EXPIRED)
    assert waiting_intake.orders() == []


async def test_a_clock_jumping_forward_does_not_expire_an_order_early(
    waiting_intake: Intake, clock
) -> None:
    reply = await waiting_intake.post(ticket())
    approvals = waiting_intake.service.approvals
    clock.jump_to(clock() + timedelta(hours=1))

    assert await approvals.expire_due() == []
    records = await approvals.approve(reply.body["command_id"])

    assert [r.status for r in records] == [OrderStatus.SENT_TO_BROKER]


async def test_approve_all_sends_each_and_reports_each(waiting_intake: Intake) -> None:
    first = await waiting_intake.post(ticket(strategy="a"))
    second = await waiting_intake.post(ticket(strategy="b", symbol="INFY"))

    results = await waiting_intake.service.approvals.approve_all()

    assert [r.command_id for r in results] == [first.body["command_id"], second.body["command_id"]]
    assert all(
        r.error is None and r.records[0].status is OrderStatus.SENT_TO_BROKER for r in results
    )
    assert len(waiting_intake.runtime.broker.order_book()) == 2


async def test_with_the_kill_switch_on_an_entry_is_blocked_not_queued(
    waiting_intake: Intake,
) -> None:
    await waiting_intake.runtime.engine.set_kill_switch(True, by="trader")

    reply = await waiting_intake.post(ticket())

    assert reply.status == 403
    assert reply.body["tag"] == "KILL_SWITCH_ACTIVE"
    (record,) = waiting_intake.orders()
    assert record.tag is Tag.KILL_SWITCH_ACTIVE
    assert waiting_intake.service.approvals.waiting() == []


async def test_an_invalid_ticket_is_recorded_not_queued(waiting_intake: Intake) -> None:
    reply = await waiting_intake.post(ticket(quantity=0))

    assert reply.status == 422
    (record,) = waiting_intake.orders()
    assert record.tag is Tag.VALIDATION_FAILED
    assert waiting_intake.service.approvals.waiting() == []


async def test_the_kill_switch_turned_on_while_waiting_blocks_the_approved_entry(
    waiting_intake: Intake,
) -> None:
    reply = await waiting_intake.post(ticket())
    await waiting_intake.runtime.engine.set_kill_switch(True, by="trader")

    (record,) = await waiting_intake.service.approvals.approve(reply.body["command_id"])

    assert (record.status, record.tag) == (OrderStatus.FAILED, Tag.KILL_SWITCH_ACTIVE)
    assert waiting_intake.runtime.broker.order_book() == []


async def test_orders_left_waiting_at_a_stop_expire_at_the_next_start(
    intakes: IntakeFactory, waiting_intake: Intake
) -> None:
    reply = await waiting_intake.post(ticket(client_order_id="w9"))
    await waiting_intake.service.stop()

    again = await intakes.start(
        runtime=waiting_intake.runtime, approval=True, approval_timeout_s=TIMEOUT_S
    )

    assert again.service.approvals.waiting() == []
    decision = again.service.approvals.decision(reply.body["command_id"])
    assert decision is not None
    assert decision.outcome is Outcome.EXPIRED
    assert "stopped" in decision.detail
    replay = await again.post(ticket(client_order_id="w9"))
    assert (replay.status, replay.body["status"]) == (200, "APPROVAL_EXPIRED")
    assert again.orders() == []


async def test_listeners_hear_every_change(waiting_intake: Intake) -> None:
    heard: list[int] = []
    approvals = waiting_intake.service.approvals
    approvals.subscribe(lambda: heard.append(len(approvals.waiting())))

    reply = await waiting_intake.post(ticket())
    await approvals.reject(reply.body["command_id"])

    assert heard == [1, 0]


async def test_an_approved_ticket_sliced_at_the_freeze_answers_with_its_slices(
    waiting_intake: Intake,
) -> None:
    reply = await waiting_intake.post(
        ticket(symbol="BANKNIFTY29DEC26FUT", exchange="NFO", product="NRML", quantity=600)
    )
    command_id = reply.body["command_id"]

    records = await waiting_intake.service.approvals.approve(command_id, {"quantity": 1200})

    assert len(records) == 2
    status = await waiting_intake.get(f"/orders/{command_id}")
    assert status.body["command_ids"] == [r.command_id for r in records]
